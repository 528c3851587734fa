"""The Severson et al. (2019) data copy, loaded once per test session (tests skip without it)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from urbanmine.errors import InputError
from urbanmine.health.cycles import CellSet, load_severson, resolve_data_dir


@cache
def _folder() -> Path | None:
    try:
        return resolve_data_dir(None)
    except InputError:
        return None


@cache
def _cells(folder: Path) -> CellSet:
    return load_severson(folder)


def severson_cells() -> CellSet:
    """The 124 cells, or a skipped test when the data copy is not on this machine."""
    folder = _folder()
    if folder is None:
        pytest.skip("Severson data copy not found (set URBANMINE_SEVERSON_DATA)")
    return _cells(folder)
