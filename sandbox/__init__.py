"""Faithful offline fakes of the vendor APIs funnelhouse reads, serving one deterministic world."""
