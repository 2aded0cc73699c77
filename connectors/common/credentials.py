"""Credentials shared by the shapes vendors use, as dlt configspecs (resolved from
`SOURCES__<SOURCE>__CREDENTIALS__*`, never logged: dlt masks secret values)."""

# No `from __future__ import annotations`: dlt resolves a subclass's inherited field types in the
# subclass's module, so they must be real types here, not names.
from typing import Any

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue


@configspec
class AccessTokenCredentials(CredentialsConfiguration):
    """One access token, sent as `Authorization: Bearer`. A source subclasses it to name its own."""

    access_token: TSecretStrValue = None

    def parse_native_representation(self, native_value: Any) -> None:
        # Lets `SOURCES__<SOURCE>__CREDENTIALS=<token>` (or a plain string argument) stand for the token.
        if isinstance(native_value, str):
            self.access_token = native_value  # type: ignore[assignment]
            return
        super().parse_native_representation(native_value)
