"""Meta (Facebook) Ads: ad accounts, ads with their creatives' links, and daily account, campaign, ad
set and ad insights through the Graph API.

Settings come through dlt injection: `SOURCES__FACEBOOK_ADS__<KEY>` and
`SOURCES__FACEBOOK_ADS__CREDENTIALS__ACCESS_TOKEN`. Calling the source validates them and does no
I/O. Each level's resource reads one insights report per account and date chunk (a few in flight at
once), directly for short chunks and through an asynchronous report run for long ones, and the
`effective_status` of its objects once per account from the account's edge. The account level is
the account's own daily totals, read like the others: what the campaign rows must add up to.

Conversions are the sum of `actions` over `conversion_action_types`, their value the sum of
`action_values` over the same types, under the attribution windows the connector asks for
(`attribution_windows`). Both are documented in `settings.py`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.configuration import configspec
from dlt.extract.resource import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.credentials import AccessTokenCredentials
from connectors.common.errors import ConfigurationError
from connectors.common.http import RetryPolicy
from connectors.common.prefetch import BATCH_ROWS, batched_tables, ordered_map
from connectors.common.spec import FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec
from connectors.common.window import DateWindow
from connectors.facebook_ads.helpers import FacebookAdsApi, Quarantine, account_table
from connectors.facebook_ads.settings import (
    ACCOUNTS_TABLE,
    ADS_TABLE,
    ATTRIBUTION_WINDOWS,
    DEFAULT_ASYNC_FROM_DAYS,
    DEFAULT_ATTRIBUTION_WINDOWS,
    DEFAULT_BASE_URL,
    DEFAULT_CHUNK_DAYS,
    DEFAULT_CONCURRENT_REQUESTS,
    DEFAULT_CONVERSION_ACTION_TYPES,
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_MAX_WAIT_SECONDS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_POLL_SECONDS,
    DEFAULT_POLL_TIMEOUT_SECONDS,
    LEVELS,
    MAX_PAGE_SIZE,
    QUARANTINE_TABLE,
    SOURCE,
    TABLES,
    Level,
)

__all__ = ["SPEC", "FacebookAdsCredentials", "facebook_ads_source"]

# One conversion reported under several action types: counting two of a family counts it twice.
# The aggregates (omni_purchase, purchase, lead) already include the pixel's and the others' events.
ACTION_FAMILIES = {
    "purchase": frozenset({"omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "onsite_web_purchase",
                           "onsite_web_app_purchase", "onsite_conversion.purchase", "web_in_store_purchase",
                           "app_custom_event.fb_mobile_purchase", "offline_conversion.purchase"}),
    "lead": frozenset({"lead", "offsite_conversion.fb_pixel_lead", "onsite_conversion.lead_grouped",
                       "leadgen_grouped", "onsite_web_lead", "offline_conversion.lead"}),
}
_ACTION_TYPE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


@configspec
class FacebookAdsCredentials(AccessTokenCredentials):
    """A (system user) access token with the ads_read permission, sent as `Authorization: Bearer`."""


def _names(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, (list, tuple)):
        items = [str(part).strip() if isinstance(part, str) else "" for part in value]
    else:
        raise ConfigurationError(SOURCE, key, "must be a comma list of names")
    names = list(dict.fromkeys(item for item in items if item))
    if not names:
        raise ConfigurationError(SOURCE, key, "must be a comma list of names")
    return names


def check_conversion_types(value: Any) -> frozenset[str]:
    types = _names("conversion_action_types", value)
    bad = [t for t in types if not _ACTION_TYPE.match(t)]
    if bad:
        raise ConfigurationError(SOURCE, "conversion_action_types",
                                 "must list Meta action types such as omni_purchase, lead or "
                                 "offsite_conversion.custom.<id>")
    for family, members in ACTION_FAMILIES.items():
        both = sorted(members.intersection(types))
        if len(both) > 1:
            raise ConfigurationError(SOURCE, "conversion_action_types",
                                     f"counts each {family} twice ({' and '.join(both)} report the same "
                                     f"events): keep one of them")
    return frozenset(types)


def check_attribution_windows(value: Any) -> list[str]:
    windows = _names("attribution_windows", value)
    if any(w not in ATTRIBUTION_WINDOWS for w in windows):
        raise ConfigurationError(SOURCE, "attribution_windows",
                                 f"must list Meta attribution windows: {', '.join(ATTRIBUTION_WINDOWS)}")
    return windows


def _seconds(key: str, value: Any, minimum: float) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number != number or number < minimum or number == float("inf"):
        raise ConfigurationError(SOURCE, key, f"must be a number of seconds >= {minimum:g}")
    return number


@dlt.source(name=SOURCE, section=SOURCE)
def facebook_ads_source(
    # Optional so a missing value reaches our validation and fails as a ConfigurationError.
    account_ids: str | list[str] | None = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    credentials: FacebookAdsCredentials = dlt.secrets.value,
    conversion_action_types: str | list[str] = DEFAULT_CONVERSION_ACTION_TYPES,
    attribution_windows: str | list[str] = DEFAULT_ATTRIBUTION_WINDOWS,
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    async_from_days: int = DEFAULT_ASYNC_FROM_DAYS,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    poll_timeout_seconds: float = DEFAULT_POLL_TIMEOUT_SECONDS,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrent_requests: int = DEFAULT_CONCURRENT_REQUESTS,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
) -> Sequence[DltResource]:
    ids = check.id_list(SOURCE, "account_ids", account_ids, example="101000000000001 (a leading act_ is dropped)",
                        prefix="act_")
    token = check.secret(SOURCE, "credentials.access_token",
                         credentials if isinstance(credentials, str) else getattr(credentials, "access_token", None))
    types = check_conversion_types(conversion_action_types)
    windows = check_attribution_windows(attribution_windows)
    window = check.date_window(SOURCE, start_date, end_date, lookback_days)
    chunk_days = check.days(SOURCE, "chunk_days", chunk_days, minimum=1)
    async_from_days = check.days(SOURCE, "async_from_days", async_from_days)
    page_size = check.whole_number(SOURCE, "page_size", page_size, 1, MAX_PAGE_SIZE)
    concurrency = check.concurrency(SOURCE, concurrent_requests)
    policy = RetryPolicy(max_hinted_wait=_seconds("max_wait_seconds", max_wait_seconds, 0))
    api = FacebookAdsApi(
        check.url(SOURCE, "base_url", base_url), token, page_size=page_size, attribution_windows=windows,
        async_from_days=async_from_days, poll_seconds=_seconds("poll_seconds", poll_seconds, 0),
        poll_timeout_seconds=_seconds("poll_timeout_seconds", poll_timeout_seconds, 1), policy=policy)
    quarantine = Quarantine()
    running = _Running()

    def accounts() -> Iterator[pa.Table]:
        bodies = ordered_map(api.account, ids, concurrency)
        table = account_table(list(zip(ids, bodies, strict=True)))
        progress.add_rows(SOURCE, table.num_rows)
        yield table

    def ads() -> Iterator[pa.Table]:
        for table in ordered_map(api.ads, ids, concurrency):
            progress.add_rows(SOURCE, table.num_rows)
            if table.num_rows:
                yield table

    def quarantined() -> Iterator[pa.Table | None]:
        # An empty table first, so the raw table exists (and the gate can read it) before anything is bad.
        yield QUARANTINE_TABLE.empty()
        # dlt takes items from its resources in turn: until every stats resource of this run has
        # finished, hand over what they set aside so far (None: nothing yet, come back later).
        while True:
            finished = running.finished()
            table = quarantine.take()
            if table is not None:
                yield table
            elif finished:
                return
            else:
                yield None

    stats = [_stats_resource(level, api, ids, window, chunk_days, types, concurrency, quarantine, running)
             for level in LEVELS]
    return [dlt.resource(accounts, **ACCOUNTS_TABLE.resource_hints()), *stats,
            dlt.resource(ads, **ADS_TABLE.resource_hints()),
            dlt.resource(quarantined, **QUARANTINE_TABLE.resource_hints())]


class _Running:
    """Which stats resources of a run are still being read (for the quarantine resource)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def start(self, name: str) -> None:
        with self._lock:
            self._running.add(name)

    def stop(self, name: str) -> None:
        with self._lock:
            self._running.discard(name)

    def finished(self) -> bool:
        with self._lock:
            return not self._running


def _stats_resource(level: Level, api: FacebookAdsApi, account_ids: list[str], window: DateWindow, chunk_days: int,
                    types: frozenset[str], concurrency: int, quarantine: Quarantine,
                    running: _Running) -> DltResource:
    calls = [(account_id, start, end) for account_id in account_ids for start, end in window.chunks(chunk_days)]
    statuses: dict[str, dict[str, str]] = {}
    lock = threading.Lock()

    def status_of(account_id: str) -> dict[str, str]:
        # Once per account and level, whichever chunk asks first.
        with lock:
            if account_id not in statuses:
                statuses[account_id] = api.statuses(account_id, level)
            return statuses[account_id]

    def fetch_one(call: tuple[str, date, date]) -> pa.Table:
        account_id, start, end = call
        table = api.fetch_level(level, account_id, start, end, lambda: status_of(account_id), types, quarantine)
        progress.add_rows(SOURCE, table.num_rows)
        return table

    def fetch() -> Iterator[pa.Table]:
        running.start(level.table.name)
        try:
            tables = (t for t in ordered_map(fetch_one, calls, concurrency) if t.num_rows)
            yield from batched_tables(tables, BATCH_ROWS)
        finally:
            running.stop(level.table.name)

    return dlt.resource(fetch, **level.table.resource_hints(window=window))


SPEC = SourceSpec(
    name=SOURCE,
    label="Meta Ads",
    domain="ads",
    mode=Mode.WINDOWED,
    source=facebook_ads_source,
    tables=TABLES,
    settings=(
        Setting("base_url", "Graph API root, with its version", default=DEFAULT_BASE_URL),
        Setting("account_ids", "comma list of ad account ids without `act_` (a leading `act_` is dropped)",
                required=True),
        Setting("credentials.access_token", "access token (a system user's) with ads_read on the accounts",
                required=True, secret=True),
        Setting("conversion_action_types", "action types counted as conversions and summed for their value; "
                "never two of one family (omni_purchase and offsite_conversion.fb_pixel_purchase report the "
                "same purchases)", default=DEFAULT_CONVERSION_ACTION_TYPES),
        Setting("attribution_windows", "`action_attribution_windows` sent with every insights report",
                default=DEFAULT_ATTRIBUTION_WINDOWS),
        Setting("chunk_days", "days per insights report", default=DEFAULT_CHUNK_DAYS),
        Setting("async_from_days", "reports of this many days or more run as asynchronous report runs",
                default=DEFAULT_ASYNC_FROM_DAYS),
        Setting("poll_seconds", "seconds between polls of a report run", default=DEFAULT_POLL_SECONDS),
        Setting("poll_timeout_seconds", "how long a report run may take", default=DEFAULT_POLL_TIMEOUT_SECONDS),
        Setting("page_size", f"rows per page (`limit`), 1-{MAX_PAGE_SIZE}", default=DEFAULT_PAGE_SIZE),
        Setting("concurrent_requests", "1-8: reports in flight at once", default=DEFAULT_CONCURRENT_REQUESTS),
        Setting("max_wait_seconds", "longest throttle wait sat out (X-Business-Use-Case-Usage "
                "estimated_time_to_regain_access); a longer one fails at once", default=DEFAULT_MAX_WAIT_SECONDS),
    ),
    fake="sandbox.facebook_ads",
    lookback_days=DEFAULT_LOOKBACK_DAYS,
    freshness=FreshnessRule("campaign_stats", "date_day"),
    quarantine=QuarantineRule(),
    description="Daily insights (`time_increment=1`) at account, campaign, ad set and ad level through "
                "`/act_{id}/insights` (asynchronous report runs for long ranges, pages followed through "
                "`paging.next`), each object's `effective_status`, each ad's creative link "
                "(`creative{object_story_spec,url_tags}` from the ads edge), and each ad account's name, currency "
                "and time zone. The account level's own totals are what the campaign rows are reconciled "
                "against. Numbers arrive as strings and are parsed exactly; conversions count "
                "`conversion_action_types` once each under explicit attribution windows. A metric that is "
                "not a number loads as NULL with a row in `raw_facebook_ads.quarantine` naming the record "
                "and field.",
    needs=("fx",),
)
