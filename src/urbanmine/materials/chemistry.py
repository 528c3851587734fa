"""Battery chemistries: each names its cathode active material species (see ``species.toml``)."""

from __future__ import annotations

CHEMISTRIES = ("NMC111", "NMC532", "NMC622", "NMC811", "NCA", "LFP", "LMO", "LCO")
"""Cathode chemistries; the cathode active material species has the chemistry's name."""


def cathode_species(chemistry: str) -> str:
    """Species name of the chemistry's cathode active material."""
    return chemistry


PRECURSOR_CHEMISTRIES = ("NMC111", "NMC532", "NMC622", "NMC811")
"""Chemistries whose cathode is calcined from a co-precipitated Ni/Mn/Co hydroxide precursor
(pCAM) that urbanmine names as a species."""


def precursor_species(chemistry: str) -> str | None:
    """Species name of the chemistry's hydroxide precursor (``pCAM622`` for NMC622), or None."""
    return f"pCAM{chemistry.removeprefix('NMC')}" if chemistry in PRECURSOR_CHEMISTRIES else None
