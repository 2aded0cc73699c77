"""Fake of the google_analytics API (to be written)."""

VENDOR = "google_analytics"
ROUTES: list = []
