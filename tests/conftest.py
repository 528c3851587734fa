"""Shared fixtures: IUPAC standard atomic weights typed from the source, for tests only."""

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
