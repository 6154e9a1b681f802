"""The Lever integration, in four layers: api ← connection ← sync ← views."""
