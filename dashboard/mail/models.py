"""Models of dashboard.mail."""
