"""Recycling routes as TOML data (units, links, parameters with sources) and their composition."""
