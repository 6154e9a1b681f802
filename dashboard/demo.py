"""Demo data for the embedded default."""
