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
