"""The file machinery (connectors.common.files) through the spend-file source, on tiny hand-made
files: CSV and XLSX, decimal commas, date formats, default currency, each file version loaded once,
a corrected file replacing its rows, bad rows and files quarantined with their row numbers, the
reject_file setting, an fsspec URL, and mapping mistakes named by key."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import fsspec
import openpyxl
import pytest

from connectors.ad_spend_files import ad_spend_files_source
from connectors.common.errors import ConfigurationError
from connectors.common.files import listing_fingerprint

EXAMPLES = Path(__file__).parents[2] / "examples" / "ad_spend_files"
MAPPINGS = tomllib.loads((EXAMPLES / "mappings.toml").read_text())["sources"]["ad_spend_files"]["mappings"]

XLSX_MAPPING = {"xlsx": {"pattern": "*.xlsx", "sheet": "Report", "defaults": {"platform": "offline_media",
                                                                             "currency_code": "GBP"},
                         "columns": {"Day": "date_day", "Account": "account_id", "Campaign": "campaign_name",
                                     "Cost": "spend", "Currency": "currency_code", "Impressions": "impressions"}}}


class Loader:
    """One dlt pipeline into a DuckDB file, loading a folder's files with a mapping."""

    def __init__(self, tmp_path: Path, bucket_url: str, mappings: dict = MAPPINGS, on_bad_rows: str = "quarantine_rows"):
        self.database = tmp_path / "raw.duckdb"
        self.kwargs = {"bucket_url": bucket_url, "mappings": mappings, "on_bad_rows": on_bad_rows}
        self.pipeline = dlt.pipeline(pipeline_name="files_test", destination=dlt.destinations.duckdb(str(self.database)),
                                     dataset_name="raw_ad_spend_files", pipelines_dir=str(tmp_path / "dlt"))

    def run(self) -> None:
        self.pipeline.run(ad_spend_files_source(**self.kwargs))

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as con:
            return con.sql(sql).fetchall()


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    for name in ("tiktok_ads_2026-11.csv", "microsoft_ads_2026-11.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    return folder


def test_csv_with_decimal_commas_date_formats_and_a_default_currency(tmp_path: Path, drop: Path):
    loader = Loader(tmp_path, str(drop))
    loader.run()
    by_platform = loader.rows("select platform, currency_code, count(*), sum(spend), sum(impressions), "
                              "sum(conversions), min(date_day), max(date_day) from raw_ad_spend_files.spend "
                              "group by all order by 1")
    assert by_platform == [
        # 1.234,56 + 310,40 + 1.180,00 + 1.305,10 + 298,90 (the row reading 12,3x is quarantined);
        # 10.500 impressions are ten thousand five hundred; no currency column: the mapping's EUR.
        ("microsoft_ads", "EUR", 5, Decimal("4328.960000"), 10_500 + 4_200 + 10_100 + 11_020 + 4_150,
         14.5 + 3 + 13 + 15.5 + 3, date(2026, 11, 1), date(2026, 11, 3)),
        ("tiktok_ads", "USD", 6, Decimal("640.000000"), 50_500, 56.0, date(2026, 11, 1), date(2026, 11, 3)),
    ]
    assert loader.rows("select time_zone from raw_ad_spend_files.spend where platform = 'microsoft_ads' "
                       "group by all") == [("Europe/Berlin",)]


def test_a_malformed_row_is_quarantined_with_its_file_row_field_and_reason(tmp_path: Path, drop: Path, caplog):
    loader = Loader(tmp_path, str(drop))
    with caplog.at_level("WARNING"):
        loader.run()
    assert loader.rows("select source_table, record_id, field, raw_value, error from raw_ad_spend_files.quarantine") == [
        ("spend", "microsoft_ads_2026-11.csv:5", "spend", "12,3x", "column 'Spend': not a number")]
    assert loader.rows("select file_name, status, rows_loaded, rows_quarantined from raw_ad_spend_files.files "
                       "order by 1") == [("microsoft_ads_2026-11.csv", "loaded", 5, 1),
                                         ("tiktok_ads_2026-11.csv", "loaded", 6, 0)]
    # The log names the source, the file, the row and the field.
    assert "ad_spend_files: record microsoft_ads_2026-11.csv row 5, field 'spend'" in caplog.text


def test_the_same_file_twice_loads_once(tmp_path: Path, drop: Path):
    loader = Loader(tmp_path, str(drop))
    loader.run()
    loader.run()
    assert loader.rows("select count(*), sum(spend) from raw_ad_spend_files.spend") == [(11, Decimal("4968.960000"))]
    assert loader.rows("select count(*) from raw_ad_spend_files.files") == [(2,)]
    assert loader.rows("select count(*) from raw_ad_spend_files.quarantine") == [(1,)]


def test_a_corrected_file_replaces_its_rows_and_notes_the_days_of_both_versions(tmp_path: Path, drop: Path):
    loader = Loader(tmp_path, str(drop))
    loader.run()
    # The agency fixes the bad row and drops the 1st: the corrected version covers the 2nd and 3rd.
    (drop / "microsoft_ads_2026-11.csv").write_text(
        "Day;Account Id;Account name;Campaign Id;Campaign;Spend;Impr.;Clicks;Conv.;Revenue\n"
        "02.11.2026;B0123456;Acme Microsoft;411000002;Acme | Generic Search;12,30;4.000;90;2;140,00\n"
        "03.11.2026;B0123456;Acme Microsoft;411000001;Acme | Brand Search;1.305,10;11.020;333;15,5;1.085,00\n")
    loader.run()
    assert loader.rows("select date_day, spend from raw_ad_spend_files.spend where platform = 'microsoft_ads' "
                       "order by 1") == [(date(2026, 11, 2), Decimal("12.300000")), (date(2026, 11, 3), Decimal("1305.100000"))]
    assert loader.rows("select count(*) from raw_ad_spend_files.spend where platform = 'tiktok_ads'") == [(6,)]
    versions = loader.rows("select status, rows_loaded, changed_from, changed_to from raw_ad_spend_files.files "
                           "where file_name like 'microsoft%' order by loaded_at")
    # The new version's days are the 2nd and 3rd; the 1st changed too (its rows left with the old version).
    assert versions == [("loaded", 5, date(2026, 11, 1), date(2026, 11, 3)),
                        ("loaded", 2, date(2026, 11, 1), date(2026, 11, 3))]


def test_reject_file_loads_nothing_of_a_file_with_a_bad_row(tmp_path: Path, drop: Path):
    loader = Loader(tmp_path, str(drop), on_bad_rows="reject_file")
    loader.run()
    assert loader.rows("select platform, count(*) from raw_ad_spend_files.spend group by 1") == [("tiktok_ads", 6)]
    assert loader.rows("select record_id, field from raw_ad_spend_files.quarantine order by 1") == [
        ("microsoft_ads_2026-11.csv:0", "file"), ("microsoft_ads_2026-11.csv:5", "spend")]
    assert loader.rows("select status, rows_loaded, rows_quarantined, changed_from from raw_ad_spend_files.files "
                       "where file_name like 'microsoft%'") == [("rejected", 0, 2, None)]
    # Rejected once is enough: the same bytes are not read (and quarantined) again.
    loader.run()
    assert loader.rows("select count(*) from raw_ad_spend_files.quarantine") == [(2,)]


def test_xlsx_cells_keep_their_types_and_a_blank_currency_takes_the_default(tmp_path: Path):
    folder = tmp_path / "drop"
    folder.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Report"
    sheet.append(["Day", "Account", "Campaign", "Cost", "Currency", "Impressions"])
    sheet.append([datetime(2026, 11, 1), 501, "Radio | North", 1200.5, None, 30000])
    sheet.append(["2026-11-02", "501", "Radio | North", "99.99", "usd", "2000"])
    sheet.append([datetime(2026, 11, 3), 501, None, 10, "GBP", 5])
    sheet.append([datetime(2026, 11, 4), 501, "Radio | North", 10, "GBP", "2,000"])
    book.save(folder / "offline.xlsx")
    loader = Loader(tmp_path, str(folder), mappings=XLSX_MAPPING)
    loader.run()
    assert loader.rows("select row_number, date_day, platform, account_id, spend, currency_code, impressions "
                       "from raw_ad_spend_files.spend order by 1") == [
        (2, date(2026, 11, 1), "offline_media", "501", Decimal("1200.500000"), "GBP", 30000),
        (3, date(2026, 11, 2), "offline_media", "501", Decimal("99.990000"), "USD", 2000),
    ]
    assert loader.rows("select record_id, field, error from raw_ad_spend_files.quarantine order by 1") == [
        ("offline.xlsx:4", "campaign_name", "required: column 'Campaign' is blank"),
        ("offline.xlsx:5", "impressions", "column 'Impressions': holds a ',' where the decimal mark is '.' (set the "
                                          "mapping's thousands or decimal)"),
    ]


def test_a_file_no_mapping_reads_and_a_mapped_column_missing_are_set_aside(tmp_path: Path, drop: Path):
    (drop / "notes.txt").write_text("call the agency\n")
    (drop / "tiktok_ads_2026-12.csv").write_text("Date,Cost\n2026-12-01,1\n")
    loader = Loader(tmp_path, str(drop))
    loader.run()
    quarantined = loader.rows("select record_id, field from raw_ad_spend_files.quarantine order by 1")
    assert ("notes.txt:0", "file") in quarantined
    assert ("tiktok_ads_2026-12.csv:1", "Advertiser ID") in quarantined
    assert loader.rows("select file_name, status from raw_ad_spend_files.files where status = 'unreadable' "
                       "order by 1") == [("notes.txt", "unreadable"), ("tiktok_ads_2026-12.csv", "unreadable")]


def test_an_fsspec_url_is_listed_and_read(tmp_path: Path):
    fs = fsspec.filesystem("memory")
    fs.pipe("/spend-drop/tiktok_ads_2026-11.csv", (EXAMPLES / "tiktok_ads_2026-11.csv").read_bytes())
    try:
        loader = Loader(tmp_path, "memory://spend-drop")
        loader.run()
        assert loader.rows("select count(*), sum(spend) from raw_ad_spend_files.spend") == [(6, Decimal("640.000000"))]
        first = listing_fingerprint("memory://spend-drop", "*")
        fs.pipe("/spend-drop/tiktok_ads_2026-12.csv", b"Date\n")
        assert listing_fingerprint("memory://spend-drop", "*") != first
    finally:
        fs.rm("/spend-drop", recursive=True)


@pytest.mark.parametrize(("mappings", "key"), [
    (None, "mappings"),
    ({"m": {"columns": {"Day": "date_day"}}}, "mappings.m.columns"),
    ({"m": {"columns": {"Day": "the_day"}}}, "mappings.m.columns"),
    ({"m": {**MAPPINGS["tiktok"], "decimal": ";"}}, "mappings.m.decimal"),
    ({"m": {**MAPPINGS["tiktok"], "colums": {}}}, "mappings.m.colums"),
    ("[m\nbroken", "mappings"),
])
def test_a_mapping_mistake_names_its_key(tmp_path: Path, mappings, key: str):
    with pytest.raises(ConfigurationError) as caught:
        ad_spend_files_source(bucket_url=str(tmp_path), mappings=mappings)
    assert caught.value.key == key
    assert "SOURCES__AD_SPEND_FILES__" in str(caught.value)


def test_mappings_from_toml_text_or_a_file(tmp_path: Path, drop: Path):
    text = (EXAMPLES / "mappings.toml").read_text()
    for mappings in (text, str(EXAMPLES / "mappings.toml")):
        loader = Loader(tmp_path / str(len(mappings)), str(drop), mappings=mappings)
        loader.run()
        assert loader.rows("select count(*) from raw_ad_spend_files.spend") == [(11,)]
