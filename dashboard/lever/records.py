"""Models of dashboard.lever."""
