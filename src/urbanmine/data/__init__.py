"""Shipped datasets (species, bills of materials, routes), each number with its source."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_toml(*parts: str) -> dict[str, Any]:
    """Parse a TOML file shipped under ``urbanmine/data`` (e.g. ``load_toml("bom", "batpac5.toml")``)."""
    path = resources.files(__package__).joinpath(*parts)
    with path.open("rb") as fh:
        return tomllib.load(fh)


def list_files(*parts: str, suffix: str = ".toml") -> list[str]:
    """Names (without suffix) of the shipped data files in a folder under ``urbanmine/data``."""
    folder = resources.files(__package__).joinpath(*parts)
    return sorted(p.name[: -len(suffix)] for p in folder.iterdir() if p.name.endswith(suffix))


def data_text(*parts: str) -> str:
    """Text of a file shipped under ``urbanmine/data`` (UTF-8)."""
    return resources.files(__package__).joinpath(*parts).read_text(encoding="utf-8")
