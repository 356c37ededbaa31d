"""Open-data endpoints of the web app (read-only JSON and CSV)."""
