"""The report's test inputs.

``summary.json``: a summary in the shape the run writes (docs/report.md), hand-made for these
tests: its element tonnages close per element (feed + reagents = every output), its carbon steps
add up to the burden (positive steps) and to the avoided emissions (negative steps), and its
feedstock is the network's supply. The rule thresholds and dates are those of Regulation (EU)
2023/1542 (Annex XII Parts B and C, Art. 8(2) and (3)); the other numbers are illustrative.

``network.json``: ``urbanmine network tests/report/network.toml --json`` (a real plan of three
sources and four sites, solved in seconds).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def summary() -> dict[str, Any]:
    """A fresh copy of the summary fixture."""
    return copy.deepcopy(json.loads((HERE / "summary.json").read_text(encoding="utf-8")))


def network() -> dict[str, Any]:
    """A fresh copy of the network plan fixture."""
    return copy.deepcopy(json.loads((HERE / "network.json").read_text(encoding="utf-8")))
