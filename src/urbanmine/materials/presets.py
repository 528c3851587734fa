"""Presets: the shipped bills-of-materials and inventory sources (``urbanmine/data/bom/<name>.toml``).

Kept apart from :mod:`urbanmine.materials.feeds` so that naming them (option defaults, help
text) does not import numpy.
"""

from __future__ import annotations

from urbanmine.data import list_files

DEFAULT_PRESET = "everbatt2023"
"""EverBatt 2023 (Argonne National Laboratory), the default BOM and inventory source."""


def presets() -> list[str]:
    """Names of the shipped presets."""
    return list_files("bom")
