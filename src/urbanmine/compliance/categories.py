"""Battery categories of Art. 3(9)-(14) of Regulation (EU) 2023/1542 (a constant the command
line's help names without importing the compliance checks)."""

CATEGORIES = ("portable", "lmt", "sli", "industrial", "ev")
"""Portable, light means of transport, starting-lighting-ignition, industrial, electric vehicle."""
