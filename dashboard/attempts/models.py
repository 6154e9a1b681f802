"""Models of dashboard.attempts."""
