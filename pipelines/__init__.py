"""Dagster definitions for funnelhouse: the only package that imports Dagster."""
