"""Salesforce objects and fields the connector reads, the raw tables they land in, and the API limits
it plans around."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from connectors.common.http import RetryPolicy
from connectors.common.tables import Column, Table

SOURCE = "salesforce"
# The login host: production orgs; sandboxes log in at https://test.salesforce.com.
DEFAULT_BASE_URL = "https://login.salesforce.com"
TOKEN_PATH = "/services/oauth2/token"
# Winter '25.
DEFAULT_API_VERSION = "62.0"

# Sforce-Query-Options batchSize: documented minimum, maximum and default.
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000

# The field every read filters and orders on: it changes on every write, system ones included.
MODSTAMP = "SystemModstamp"
CURRENCY = "CurrencyIsoCode"
AMOUNT = "Amount"

# 503s clear within seconds; REQUEST_LIMIT_EXCEEDED does not and is never retried (see errors).
RETRY_POLICY = RetryPolicy()


def snake(name: str) -> str:
    """A Salesforce API name as a raw column name: CurrencyIsoCode -> currency_iso_code."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


@dataclass(frozen=True)
class SObject:
    """One object read with one SOQL query per run: its fields (API name and column type), in order."""

    name: str
    fields: tuple[tuple[str, str], ...]
    description: str

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    @property
    def table(self) -> Table:
        return _table(self)


@cache
def _table(obj: SObject) -> Table:
    columns = tuple(Column(snake(name), kind, name != "Id") for name, kind in obj.fields)
    # One query per object and run, and a query's locator serves each record once: no key repeats in a load.
    return Table(snake(obj.name), columns, primary_key=("id",), unique_per_load=True, description=obj.description)


_COMMON_TAIL = (("CreatedDate", "timestamp"), (MODSTAMP, "timestamp"), ("IsDeleted", "bool"))

OPPORTUNITY = SObject("Opportunity", (
    ("Id", "text"), ("Name", "text"), ("AccountId", "text"), (AMOUNT, "decimal(38,6)"), (CURRENCY, "text"),
    ("StageName", "text"), ("IsClosed", "bool"), ("IsWon", "bool"), ("CloseDate", "date"), ("CampaignId", "text"),
    ("LeadSource", "text"), *_COMMON_TAIL,
), "Opportunities (deals). currency_iso_code is the org's default currency where the org has no multi-currency; "
   "an amount that is not a number loads as NULL and is quarantined.")
LEAD = SObject("Lead", (
    ("Id", "text"), ("Email", "text"), ("FirstName", "text"), ("LastName", "text"), ("LeadSource", "text"),
    ("Status", "text"), ("IsConverted", "bool"), ("ConvertedContactId", "text"), *_COMMON_TAIL,
), "Leads; a converted lead names the contact it became.")
CONTACT = SObject("Contact", (
    ("Id", "text"), ("Email", "text"), ("FirstName", "text"), ("LastName", "text"), ("LeadSource", "text"),
    *_COMMON_TAIL,
), "Contacts.")
CAMPAIGN = SObject("Campaign", (
    ("Id", "text"), ("Name", "text"), ("Type", "text"), ("Status", "text"), ("StartDate", "date"),
    ("EndDate", "date"), *_COMMON_TAIL,
), "Campaigns; a campaign's name is the utm_campaign of the ads that bring its members.")
CAMPAIGN_MEMBER = SObject("CampaignMember", (
    ("Id", "text"), ("CampaignId", "text"), ("LeadId", "text"), ("ContactId", "text"), ("Status", "text"),
    ("HasResponded", "bool"), ("FirstRespondedDate", "date"), *_COMMON_TAIL,
), "Which leads and contacts each campaign reached (a converted lead's membership names its contact too).")
OPPORTUNITY_CONTACT_ROLE = SObject("OpportunityContactRole", (
    ("Id", "text"), ("OpportunityId", "text"), ("ContactId", "text"), ("Role", "text"), ("IsPrimary", "bool"),
    (MODSTAMP, "timestamp"), ("IsDeleted", "bool"),
), "The contacts of each opportunity and their roles.")

OBJECTS = (OPPORTUNITY, LEAD, CONTACT, CAMPAIGN, CAMPAIGN_MEMBER, OPPORTUNITY_CONTACT_ROLE)

QUARANTINE_TABLE = Table(
    "quarantine",
    (
        Column("source_table", "text", False), Column("record_id", "text", False), Column("field", "text", False),
        Column("raw_value", "text"), Column("error", "text"), Column("quarantined_at", "timestamp", False),
    ),
    primary_key=("source_table", "record_id", "field", "quarantined_at"),
    disposition="append",
    description="Values set aside as unreadable, naming the record and field.",
)

TABLES = (*(o.table for o in OBJECTS), QUARANTINE_TABLE)
