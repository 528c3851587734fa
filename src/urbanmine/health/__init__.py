"""Battery health, remaining life and second-life triage (issue 16)."""
