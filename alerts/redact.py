"""Secrets out of alerts: every value configured as a secret is masked in anything sent.

The secrets are the source credentials (env vars `SOURCES__<SOURCE>__CREDENTIALS__*`, and every
setting a spec declares secret, from the environment or `.dlt/secrets.toml`), the warehouse URL's
password, and the alert channels' own secrets. They are read when an alert is sent, never kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values are not credentials, and masking every "1" or "abc" would garble the message.
MIN_LENGTH = 4


def _is_credentials_env(name: str) -> bool:
    if not name.startswith("SOURCES__"):
        return False
    rest = name[len("SOURCES__"):]
    return "__CREDENTIALS__" in rest or rest.endswith("__CREDENTIALS")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def source_secrets() -> list[str]:
    """The credentials of every source, registered or not, from the environment and dlt's providers."""
    import dlt
    from sqlalchemy.engine import make_url

    from connectors import registry
    from warehouse.settings import setting_value

    found = [value for name, value in os.environ.items() if _is_credentials_env(name.upper())]
    for spec in registry.specs().values():
        for setting in spec.settings:
            if not setting.secret:
                continue
            found.extend(_strings(os.environ.get(setting.env(spec.name))))
            try:
                found.extend(_strings(dlt.secrets.get(f"sources.{spec.name}.{setting.key}")))
            except Exception:  # an unreadable secrets.toml must not stop an alert
                continue
    url = setting_value("funnelhouse_warehouse_url")
    if url:
        try:
            password = make_url(url).password
        except Exception:  # a malformed URL carries no password we can find
            password = None
        if password:
            found.append(str(password))
    return found


class Redactor:
    """Masks each secret wherever it appears: in texts, keys and values of nested structures."""

    def __init__(self, secrets: Iterable[str | None]):
        variants: set[str] = set()
        for secret in secrets:
            if not isinstance(secret, str):
                continue
            for form in (secret, secret.strip(), quote(secret.strip(), safe=""), quote_plus(secret.strip())):
                if len(form) >= MIN_LENGTH:
                    variants.add(form)
        # Longest first, so a secret containing another is masked whole.
        self._secrets = sorted(variants, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self(v) for v in value)
        return value
