"""Errors a connector raises. Each names the source and, where there is one, the record and field."""

from __future__ import annotations


class SourceError(Exception):
    """A failure attributable to one source (vendor API or its configuration)."""

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"{source}: {message}")


class ConfigurationError(SourceError):
    """A setting is missing or malformed. The message names the key, never the value."""

    def __init__(self, source: str, key: str, problem: str):
        self.key = key
        super().__init__(source, f"setting '{key}'{_env_hint(source, key)} {problem}")


def _env_hint(source: str, key: str) -> str:
    """Where the user sets it: dlt's environment name for a source setting."""
    if key.startswith("SOURCES__") or key.startswith("FUNNELHOUSE_"):
        return ""
    return f" (SOURCES__{source.upper()}__{key.replace('.', '__').upper()})"


class AuthError(SourceError):
    """The vendor rejected our credentials. Never retried: retrying cannot fix it."""


class VendorError(SourceError):
    """The vendor answered with an error that retries did not (or could not) clear."""

    def __init__(self, source: str, message: str, status: int | None = None, retryable: bool = False):
        self.status = status
        self.retryable = retryable
        super().__init__(source, message)


class RecordError(SourceError):
    """One record from the vendor cannot be read. Names the record and the field."""

    def __init__(self, source: str, record: str, field: str, problem: str):
        self.record = record
        self.field = field
        super().__init__(source, f"record {record}, field '{field}': {problem}")
