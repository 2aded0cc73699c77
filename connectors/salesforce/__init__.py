"""Salesforce CRM source: opportunities, leads, contacts, campaigns, campaign members and opportunity
contact roles, and a quarantine of bad values.

Each object is one SOQL query per run through `queryAll`, so deleted records arrive too, flagged
`is_deleted` (staging drops them). The first run (no cursor state) or `full_refresh=True` reads
everything; later runs read what changed since the stored cursor on `SystemModstamp`, reaching back
`lookback_days` before it (a record can be written while a run pages). Re-read records merge on Id.

Calling the source does no I/O; all HTTP happens while its resources are iterated.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Optional

import dlt
import pyarrow as pa
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue
from dlt.extract import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.errors import AuthError, ConfigurationError, VendorError
from connectors.common.prefetch import BATCH_ROWS, batched_tables
from connectors.common.spec import FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec
from connectors.salesforce.helpers import SalesforceApi, about, changed_since_soql
from connectors.salesforce.settings import (
    CURRENCY,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    MAX_BATCH_SIZE,
    MIN_BATCH_SIZE,
    OBJECTS,
    OPPORTUNITY,
    QUARANTINE_TABLE,
    SOURCE,
    TABLES,
    SObject,
    snake,
)
from connectors.salesforce.tables import Quarantine, records_table

log = logging.getLogger("funnelhouse.connectors.salesforce")

__all__ = ["SPEC", "SalesforceCredentials", "salesforce_source"]

_VERSION = re.compile(r"v?([0-9]{2,3}\.0)")


@configspec
class SalesforceCredentials(CredentialsConfiguration):
    """A connected app (consumer key and secret) and a refresh token of its user.

    Fields are optional to dlt so that a missing one reaches the source's settings check, which names it.
    """

    client_id: Optional[TSecretStrValue] = None  # noqa: UP045 - dlt reads optionality from typing.Optional
    client_secret: Optional[TSecretStrValue] = None  # noqa: UP045
    refresh_token: Optional[TSecretStrValue] = None  # noqa: UP045


def _api_version(value: Any) -> str:
    match = _VERSION.fullmatch(str(value).strip()) if isinstance(value, (str, float, int)) else None
    if match is None:
        raise ConfigurationError(SOURCE, "api_version", "must be a REST API version such as 62.0")
    return match.group(1)


# Shows dlt the cursor column; the source passes copies carrying the lookback as lag.
_CURSOR = dlt.sources.incremental(snake("SystemModstamp"))


def _object_tables(api: SalesforceApi, obj: SObject, full_refresh: bool, quarantine: Quarantine | None,
                   modified: dlt.sources.incremental[datetime] = _CURSOR) -> Iterator[pa.Table]:
    def tables() -> Iterator[pa.Table]:
        fields: Sequence[str] = obj.field_names
        default_currency: Callable[[], str] | None = None
        if full_refresh:
            # dlt would drop rows older than the stored cursor; a full refresh wants every row.
            modified.start_value = None
        since = modified.start_value
        try:
            if obj is OPPORTUNITY:
                if CURRENCY not in api.field_names(obj.name):
                    log.info("%s: %s: the org has no multi-currency; amounts are in its default currency",
                             SOURCE, obj.name)
                    fields = [f for f in fields if f != CURRENCY]
                default_currency = api.org_currency
            log.info("%s: %s: %s", SOURCE, obj.name,
                     f"reading changes since {since.isoformat()}" if since else "reading every record")
            read = 0
            for page in api.query_pages(changed_since_soql(obj.name, fields, since)):
                table = records_table(obj, page, quarantine, default_currency)
                read += table.num_rows
                progress.add_rows(SOURCE, table.num_rows)
                yield table
            log.info("%s: %s: %d records read (org API usage %s)", SOURCE, obj.name, read, api.usage())
        except (AuthError, VendorError) as exc:
            raise about(obj.name, exc) from None

    yield from batched_tables(tables(), BATCH_ROWS)


@dlt.source(name=SOURCE, section=SOURCE)
def salesforce_source(
    base_url: str = DEFAULT_BASE_URL,
    api_version: str = DEFAULT_API_VERSION,
    credentials: SalesforceCredentials | None = dlt.secrets.value,
    full_refresh: bool = False,
    lookback_days: int = 1,
    batch_size: int = MAX_BATCH_SIZE,
) -> Sequence[DltResource]:
    """Salesforce's CRM objects into `raw_salesforce`, one table per object, and a quarantine table.

    `base_url` is the login host (the token answer names the org's instance for data calls).
    `batch_size` is the records per query batch asked for (Sforce-Query-Options, 200 to 2,000).
    `lookback_days` re-reads that many days before the stored cursor.
    """
    login_url = check.url(SOURCE, "base_url", base_url)
    version = _api_version(api_version)
    secrets = check.secrets(SOURCE, credentials, ("client_id", "client_secret", "refresh_token"))
    full_refresh = check.boolean(SOURCE, "full_refresh", full_refresh)
    lookback_days = check.days(SOURCE, "lookback_days", lookback_days)
    batch_size = check.whole_number(SOURCE, "batch_size", batch_size, MIN_BATCH_SIZE, MAX_BATCH_SIZE)
    api = SalesforceApi(login_url, version, secrets["client_id"], secrets["client_secret"], secrets["refresh_token"],
                        batch_size)
    lag = float(lookback_days * 86_400) or None
    quarantine = Quarantine()

    resources = {
        obj.name: dlt.resource(_object_tables, **obj.table.resource_hints())(
            api, obj, full_refresh, quarantine if obj is OPPORTUNITY else None,
            modified=dlt.sources.incremental(snake("SystemModstamp"), lag=lag))
        for obj in OBJECTS
    }

    @dlt.transformer(data_from=resources[OPPORTUNITY.name], **QUARANTINE_TABLE.resource_hints())
    def quarantined(opportunities: pa.Table) -> Iterator[pa.Table]:
        table = quarantine.take(opportunities.column("id").to_pylist())
        if table is None and not quarantine.table_announced:
            # An empty table once, so the raw table exists (and staging can read it) before anything is bad.
            table = QUARANTINE_TABLE.empty()
        if table is not None:
            quarantine.table_announced = True
            yield table

    return (*resources.values(), quarantined)


SPEC = SourceSpec(
    name=SOURCE,
    label="Salesforce",
    domain="crm",
    mode=Mode.CURSOR,
    source=salesforce_source,
    tables=TABLES,
    settings=(
        Setting("base_url", "login host of the org (https://test.salesforce.com for a sandbox org)",
                default=DEFAULT_BASE_URL),
        Setting("api_version", "REST API version", default=DEFAULT_API_VERSION),
        Setting("credentials.client_id", "connected app consumer key", required=True, secret=True),
        Setting("credentials.client_secret", "connected app consumer secret", required=True, secret=True),
        Setting("credentials.refresh_token", "refresh token of the connected app's user (scopes api, "
                "refresh_token)", required=True, secret=True),
        Setting("batch_size", f"records per query batch asked for, {MIN_BATCH_SIZE}-{MAX_BATCH_SIZE} "
                "(Sforce-Query-Options)", default=MAX_BATCH_SIZE),
        Setting("lookback_days", "days re-read before the stored cursor", default=1),
        Setting("full_refresh", "read every record, whatever the cursor", default=False),
    ),
    fake="sandbox.salesforce",
    freshness=FreshnessRule("contacts", "updated_at"),
    quarantine=QuarantineRule(),
    description="REST API SOQL through `queryAll` (deleted records too, flagged `is_deleted` and dropped by "
                "staging) for Opportunity, Lead, Contact, Campaign, CampaignMember and OpportunityContactRole, "
                "following `nextRecordsUrl`; OAuth refresh-token flow, one new session when one expires. "
                "Incremental on SystemModstamp with a lookback. An org without multi-currency gets its "
                "default currency on every opportunity. An opportunity amount that is not a number loads "
                "as NULL with a row in `raw_salesforce.quarantine`. A record deleted and purged from the recycle "
                "bin (after 15 days) between two runs is never seen as deleted.",
    needs=("fx",),
)
