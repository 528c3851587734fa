"""Battery chemistries: each names its cathode active material species (see ``species.toml``)."""

from __future__ import annotations

CHEMISTRIES = ("NMC111", "NMC532", "NMC622", "NMC811", "NCA", "LFP", "LMO", "LCO")
"""Cathode chemistries; the cathode active material species has the chemistry's name."""


def cathode_species(chemistry: str) -> str:
    """Species name of the chemistry's cathode active material."""
    return chemistry
