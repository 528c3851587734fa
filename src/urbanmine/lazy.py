"""Package attributes imported on first use, so that ``import urbanmine.<pillar>`` stays cheap.

The command line imports every command module to build its help; a package ``__init__`` that
imported its whole pillar eagerly would pull numpy, scipy and pydantic into ``urbanmine --help``
(about 2 s instead of 0.2 s). A package lists its public names with the module each comes from,
and the import happens when a name is first read (PEP 562 module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each public name to the
    submodule (relative to ``package``) that defines it."""

    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{exports[name]}"), name)

    def dir_() -> list[str]:
        return sorted(exports)

    return getattr_, dir_
