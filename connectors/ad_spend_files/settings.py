"""Spend files: what their rows hold (the ads contract's campaign day, as a file can give it), and
the raw tables they load into."""

from __future__ import annotations

from connectors.common.files import Field, FileContract

SOURCE = "ad_spend_files"
DEFAULT_GLOB = "*"

CONTRACT = FileContract(
    source=SOURCE,
    table="spend",
    day="date_day",
    description="Spend rows of every dropped file, one per file row, as its mapping reads it; a changed file's "
                "rows replace its earlier version's.",
    fields=(
        Field("date_day", "date", True, "the reporting day"),
        Field("platform", "text", True, "the ad platform (tiktok_ads, microsoft_ads, ...): a column or the "
                                        "mapping's default"),
        Field("account_id", "text", True, "the platform's account id"),
        Field("account_name", "text", description="the account's name"),
        Field("campaign_id", "text", description="the platform's campaign id; staging uses the name where there is none"),
        Field("campaign_name", "text", True, "the campaign's name; its campaign key derives from it"),
        Field("campaign_status", "text", description="the platform's status name"),
        Field("ad_group_id", "text", description="the ad group's id"),
        Field("ad_group_name", "text", description="the ad group's name"),
        Field("currency_code", "currency", True, "ISO 4217 code of spend and conversions value: a column or the "
                                                 "mapping's default"),
        Field("spend", "decimal", True, "cost in currency_code, exact"),
        Field("impressions", "integer", description="impressions"),
        Field("clicks", "integer", description="clicks"),
        Field("conversions", "number", description="conversions as the platform counts them"),
        Field("conversions_value", "number", description="value of those conversions, in currency_code"),
        Field("time_zone", "text", description="IANA time zone of the account's days; default UTC"),
    ),
)

TABLES = CONTRACT.tables
