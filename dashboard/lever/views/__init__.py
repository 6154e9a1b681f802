"""The integration's dashboard pages and their read models."""
