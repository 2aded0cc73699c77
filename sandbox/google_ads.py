"""Fake of the google_ads API (to be written)."""

VENDOR = "google_ads"
ROUTES: list = []
API_VERSION = "v26"
