"""Shared fixtures: IUPAC standard atomic weights typed from the source, for tests only, and a
headless Chromium (Debian's) for the page and map tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("URBANMINE_REQUIRE_BROWSER") == "1"
"""CI sets URBANMINE_REQUIRE_BROWSER=1: a missing browser fails the tests instead of skipping."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright, one per test module."""
    if not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing and URBANMINE_REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


# IUPAC Commission on Isotopic Abundances and Atomic Weights, abridged standard atomic weights
# (2021 table, conventional values), used as an independent check of the molmass-based library.
IUPAC = {
    "H": 1.008,
    "Li": 6.94,
    "C": 12.011,
    "O": 15.999,
    "F": 18.998,
    "Na": 22.990,
    "Al": 26.982,
    "P": 30.974,
    "S": 32.06,
    "Mn": 54.938,
    "Fe": 55.845,
    "Co": 58.933,
    "Ni": 58.693,
    "Cu": 63.546,
}


RECYCLING_FACTS = {
    "kind": "recycling_process",
    "chemistry": "lithium",
    "input_kg": 1000,
    "recycled_output_kg": 650,
    "elements_in_kg": {"Li": 20, "Co": 10},
    "elements_recovered_kg": {"Li": 12, "Co": 9.5},
}
"""A recycling-process facts file: 65 % efficiency, 60 % Li and 95 % Co recovered (numbers chosen
to sit on and around the Annex XII thresholds of (EU) 2023/1542)."""
