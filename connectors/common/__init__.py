"""Pieces every connector shares: HTTP with retries, errors, date windows, progress."""
