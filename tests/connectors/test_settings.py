"""The shared settings checks: what each accepts, what it returns, and one wording for what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.common import settings as check
from connectors.common.errors import ConfigurationError
from connectors.common.window import DateWindow


def refused(call, *args, **kwargs) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        call(*args, **kwargs)
    return info.value


def test_message_names_the_key_and_its_variable_never_the_value():
    error = refused(check.secret, "google_ads", "credentials.refresh_token", "   ")
    assert error.source == "google_ads" and error.key == "credentials.refresh_token"
    assert str(error) == ("google_ads: setting 'credentials.refresh_token' "
                          "(SOURCES__GOOGLE_ADS__CREDENTIALS__REFRESH_TOKEN) is missing or empty")
    error = refused(check.id_list, "ga", "property_ids", "12,GA-secret-ish", example="123")
    assert "GA-secret-ish" not in str(error)
    assert str(error).endswith("must be a comma list (or JSON array) of numeric ids, e.g. 123")


@pytest.mark.parametrize(("value", "expected"), [
    ("https://api.example.com/v1/", "https://api.example.com/v1"),
    (" http://127.0.0.1:8080 ", "http://127.0.0.1:8080"),
])
def test_url(value, expected):
    assert check.url("s", "base_url", value) == expected


@pytest.mark.parametrize("value", ["api.example.com", "ftp://x", "", None, 3])
def test_url_refused(value):
    assert str(refused(check.url, "s", "base_url", value)).endswith("must be an http(s) URL")


@pytest.mark.parametrize(("value", "expected"), [(1, 1), (100, 100), (" 42 ", 42), ("7", 7)])
def test_whole_number_in_range(value, expected):
    assert check.whole_number("s", "page_size", value, 1, 100) == expected


@pytest.mark.parametrize("value", [0, 101, True, 2.5, 5.0, "5.0", "ten", None, "-"])
def test_whole_number_refused(value):
    assert str(refused(check.whole_number, "s", "page_size", value, 1, 100)).endswith(
        "must be a whole number from 1 to 100")


def test_days_and_concurrency_bounds():
    assert check.days("s", "lookback_days", 0) == 0
    assert str(refused(check.days, "s", "lookback_days", -1)).endswith("must be a whole number of days >= 0")
    assert str(refused(check.days, "s", "chunk_days", 0, minimum=1)).endswith("must be a whole number of days >= 1")
    assert check.concurrency("s", 1) == 1 and check.concurrency("s", 8) == 8
    for value in (0, 9, True):
        error = refused(check.concurrency, "s", value)
        assert error.key == "concurrent_requests" and str(error).endswith("must be a whole number from 1 to 8")


def test_iso_date():
    assert check.iso_date("s", "start_date", "2026-02-28") == date(2026, 2, 28)
    assert check.iso_date("s", "start_date", date(2026, 1, 1)) == date(2026, 1, 1)
    assert check.iso_date("s", "start_date", None) is None and check.iso_date("s", "start_date", "") is None
    for value in ("2026-02-30", "28/02/2026", 20260228):
        assert str(refused(check.iso_date, "s", "start_date", value)).endswith("must be an ISO date (YYYY-MM-DD)")


def test_boolean():
    assert check.boolean("s", "full_refresh", True) is True
    assert check.boolean("s", "full_refresh", " FALSE ") is False
    for value in ("yes", 1, None):
        assert str(refused(check.boolean, "s", "full_refresh", value)).endswith("must be true or false")


def test_secrets_from_a_configspec_or_a_dict():
    class Creds:
        client_id = " id "
        client_secret = "secret"

    assert check.secrets("s", Creds(), ("client_id", "client_secret")) == {"client_id": "id", "client_secret": "secret"}
    assert refused(check.secrets, "s", {"client_id": "id"}, ("client_id", "client_secret")).key == \
        "credentials.client_secret"
    assert refused(check.secrets, "s", None, ("client_id",)).key == "credentials.client_id"


@pytest.mark.parametrize(("value", "expected"), [
    ("123-456-7890, 2345678901", ["1234567890", "2345678901"]),
    ('["123-456-7890", 2345678901, "123-456-7890"]', ["1234567890", "2345678901"]),
    (["1", 2, " 3 ", ""], ["1", "2", "3"]),
    (42, ["42"]),
])
def test_id_list_with_dashes(value, expected):
    assert check.id_list("s", "customer_ids", value, example="123-456-7890", dashes=True) == expected


def test_id_list_with_prefix():
    assert check.id_list("s", "property_ids", "properties/12, 34,properties/12", example="1",
                         prefix="properties/") == ["12", "34"]


@pytest.mark.parametrize("value", ["123-456-78x0", "[1, 2", '{"a": 1}', [True], [1.5], {"1": 2}, "１２３"])
def test_id_list_refused(value):
    error = refused(check.id_list, "s", "customer_ids", value, example="123-456-7890", dashes=True)
    assert str(error).endswith("numeric ids, e.g. 123-456-7890")


@pytest.mark.parametrize("value", [None, "", " , ", []])
def test_id_list_missing(value):
    assert str(refused(check.id_list, "s", "customer_ids", value, example="1")).endswith("is missing")


def test_optional_id():
    assert check.optional_id("s", "login_customer_id", "999-999-9999", example="1", dashes=True) == "9999999999"
    assert check.optional_id("s", "login_customer_id", "", example="1") is None
    assert check.optional_id("s", "login_customer_id", None, example="1") is None
    assert refused(check.optional_id, "s", "login_customer_id", "manager-9", example="1").key == "login_customer_id"


def test_window_settings_and_date_window():
    assert check.window_settings("s", "2026-01-01", None, 3) == (date(2026, 1, 1), None, 3)
    error = refused(check.window_settings, "s", "2026-01-10", "2026-01-01", 0)
    assert error.key == "start_date" and str(error).endswith("is after end_date")
    assert refused(check.window_settings, "s", None, None, -1).key == "lookback_days"
    today = date(2026, 1, 20)
    assert check.date_window("s", None, None, 3, today=today) == DateWindow(date(2026, 1, 17), date(2026, 1, 19))
    # A start after the default end (yesterday) is found only when the window is resolved.
    assert refused(check.date_window, "s", "2026-01-25", None, 0, today=today).key == "start_date"
