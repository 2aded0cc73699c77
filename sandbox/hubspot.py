"""Fake of the hubspot API (to be written)."""

VENDOR = "hubspot"
ROUTES: list = []
