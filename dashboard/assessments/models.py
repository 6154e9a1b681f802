"""Models of dashboard.assessments."""
