"""No shipped source string is an internal note (the other side of test_sources.py, which checks
that every number has a citation): no notes file, no path into the project's reference folder,
no reference-file keys or confidence tags (those live in a rule's ``confidence``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

DATA = Path(str(resources.files("urbanmine.data")))
INTERNAL_NOTE = re.compile(r"\.md\b|shared/|reference/|NOTES|\[[SVM]\b|\[K\d|\bK\d+\]|\[EB-")


def sources(node: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every source string: values of ``source`` and ``*_source`` keys and of
    ``[sources]`` tables, at any depth."""
    if isinstance(node, dict):
        for k, v in node.items():
            where = f"{key}.{k}" if key else k
            if isinstance(v, str) and (
                k == "source" or k.endswith("_source") or key.endswith("sources")
            ):
                yield where, v
            else:
                yield from sources(v, where)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from sources(v, f"{key}[{i}]")


FILES = sorted(DATA.rglob("*.toml"), key=str)


def test_the_walk_finds_sources():
    assert sum(1 for f in FILES for _ in sources(tomllib.loads(f.read_text("utf-8")))) > 500


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_sources_are_citations_not_notes(path: Path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    notes = [(where, text) for where, text in sources(data) if INTERNAL_NOTE.search(text)]
    assert not notes, notes
