"""Engine: vectorised linear mass-balance flowsheets with exact recycle solution."""
