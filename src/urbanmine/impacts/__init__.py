"""Impacts of flowsheet results: life-cycle (GHG, energy, water), costs and revenue, closed loop,
uncertainty and sensitivity."""
