"""Impacts of a flowsheet result: life-cycle inventory x factors, and costs and revenue."""
