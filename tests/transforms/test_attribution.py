"""Multi-touch attribution on a hand-computed fixture, on DuckDB and PostgreSQL.

The rows are in fixtures/attribution/ (their comments say what each deal tests). With the default
settings (90-day lookback, 7-day half-life) the touches in each won deal's window are, by UTC day
and in order (age = days before the close day):

- hA (HubSpot, 100 USD, closed 2026-03-15): spring_sale (age 14). Its latest touch is after the close.
- hB (200, 03-15): (no campaign) organic (14), retarget (7).
- hC (300, 03-31): spring_sale (28), retarget (14), (no campaign) direct (0); an old_promo touch is
  120 days old, outside the window.
- hD (50, 03-20): its only touch is 170 days old: unattributed. hE (25, 03-20): no contact: unattributed.
- o1 (Salesforce, 400, 04-10): spring_sale (9), retarget (5), webinar (2), retarget (1).
- o2 (80, 04-12): its organic lead's creation, (no campaign) (10).

With GA4's contact sessions too (fixtures/attribution/google_analytics.sql), web_session touches at
00:00 UTC of their day join the CRM's: hB gains (no campaign) organic (3) and spring_news (3), in
touch id order; hD a direct visit on its close day (0), so it is attributed to (no campaign); o2
spring_sale (1).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.transforms.fixture import OVERRIDES_CSV, raw_ddl
from transforms import runner
from transforms.model_settings import ModelSettingError, load_model_settings
from transforms.models import CANDIDATE_SCHEMA, render
from transforms.project import project
from warehouse import Warehouse

FIXTURES = Path(__file__).parent / "fixtures" / "attribution"
CRMS = ("hubspot", "salesforce")
MODELS = ("first_touch", "last_touch", "linear", "position_based", "time_decay")
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
NO_CAMPAIGN, UNATTRIBUTED = "(no campaign)", "(unattributed)"


def _decay(*ages: int) -> list[float]:
    """Time-decay weights as docs/metrics.md defines them: 2^(-age/7), normalized."""
    raw = [2 ** (-age / 7) for age in ages]
    return [w / sum(raw) for w in raw]


# Each deal's weights by model, as (campaign key, weight) per touch in time order.
O1_DECAY = _decay(9, 5, 2, 1)
WEIGHTS = {
    "hA": {model: [("spring_sale", 1.0)] for model in MODELS},
    "hB": {
        "first_touch": [(NO_CAMPAIGN, 1.0), ("retarget", 0.0)],
        "last_touch": [(NO_CAMPAIGN, 0.0), ("retarget", 1.0)],
        "linear": [(NO_CAMPAIGN, 0.5), ("retarget", 0.5)],
        "position_based": [(NO_CAMPAIGN, 0.5), ("retarget", 0.5)],
        "time_decay": [(NO_CAMPAIGN, 1 / 3), ("retarget", 2 / 3)],  # 2^-2 and 2^-1, normalized
    },
    "hC": {
        "first_touch": [("spring_sale", 1.0), ("retarget", 0.0), (NO_CAMPAIGN, 0.0)],
        "last_touch": [("spring_sale", 0.0), ("retarget", 0.0), (NO_CAMPAIGN, 1.0)],
        "linear": [("spring_sale", 1 / 3), ("retarget", 1 / 3), (NO_CAMPAIGN, 1 / 3)],
        "position_based": [("spring_sale", 0.4), ("retarget", 0.2), (NO_CAMPAIGN, 0.4)],
        "time_decay": [("spring_sale", 1 / 21), ("retarget", 4 / 21), (NO_CAMPAIGN, 16 / 21)],  # 2^-4, 2^-2, 1
    },
    "hD": {model: [(UNATTRIBUTED, 1.0)] for model in MODELS},
    "hE": {model: [(UNATTRIBUTED, 1.0)] for model in MODELS},
    "006s1": {
        "first_touch": [("spring_sale", 1.0), ("retarget", 0.0), ("webinar", 0.0), ("retarget", 0.0)],
        "last_touch": [("spring_sale", 0.0), ("retarget", 0.0), ("webinar", 0.0), ("retarget", 1.0)],
        "linear": [("spring_sale", 0.25), ("retarget", 0.25), ("webinar", 0.25), ("retarget", 0.25)],
        # 40% first, 40% last, the middle two share 20%.
        "position_based": [("spring_sale", 0.4), ("retarget", 0.1), ("webinar", 0.1), ("retarget", 0.4)],
        "time_decay": list(zip(("spring_sale", "retarget", "webinar", "retarget"), O1_DECAY, strict=True)),
    },
    "006s2": {model: [(NO_CAMPAIGN, 1.0)] for model in MODELS},
}
# With GA4's contact sessions: the deals that gain web_session touches.
WEB_WEIGHTS = {
    **WEIGHTS,
    "hB": {
        "first_touch": [(NO_CAMPAIGN, 1.0), ("retarget", 0.0), (NO_CAMPAIGN, 0.0), ("spring_news", 0.0)],
        "last_touch": [(NO_CAMPAIGN, 0.0), ("retarget", 0.0), (NO_CAMPAIGN, 0.0), ("spring_news", 1.0)],
        "linear": [(NO_CAMPAIGN, 0.25), ("retarget", 0.25), (NO_CAMPAIGN, 0.25), ("spring_news", 0.25)],
        "position_based": [(NO_CAMPAIGN, 0.4), ("retarget", 0.1), (NO_CAMPAIGN, 0.1), ("spring_news", 0.4)],
        "time_decay": list(zip((NO_CAMPAIGN, "retarget", NO_CAMPAIGN, "spring_news"), _decay(14, 7, 3, 3),
                               strict=True)),
    },
    "hD": {model: [(NO_CAMPAIGN, 1.0)] for model in MODELS},
    "006s2": {
        "first_touch": [(NO_CAMPAIGN, 1.0), ("spring_sale", 0.0)],
        "last_touch": [(NO_CAMPAIGN, 0.0), ("spring_sale", 1.0)],
        "linear": [(NO_CAMPAIGN, 0.5), ("spring_sale", 0.5)],
        "position_based": [(NO_CAMPAIGN, 0.5), ("spring_sale", 0.5)],
        "time_decay": list(zip((NO_CAMPAIGN, "spring_sale"), _decay(10, 1), strict=True)),
    },
}
AMOUNTS = {"hA": 100, "hB": 200, "hC": 300, "hD": 50, "hE": 25, "006s1": 400, "006s2": 80}
MONTH = {"hA": MARCH, "hB": MARCH, "hC": MARCH, "hD": MARCH, "hE": MARCH, "006s1": APRIL, "006s2": APRIL}


def _build(url: str, sources: tuple[str, ...], seeds_dir: Path, variables: dict[str, str] | None = None) -> Warehouse:
    warehouse = Warehouse(url)
    inserts = [chunk[chunk.index("INSERT"):].strip() for name in sources
               for chunk in (FIXTURES / f"{name}.sql").read_text().split(";\n") if "INSERT" in chunk]
    warehouse.execute(raw_ddl(sources) + inserts)
    overrides = seeds_dir / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    for seed in project(sources).seeds:
        runner.load_seed(warehouse, seed, overrides)
    for model in project(sources).models:
        runner.build(warehouse, model, {"reporting_currency": "USD", **(variables or {})})
    return warehouse


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _build(module_warehouse_url, CRMS, tmp_path_factory.mktemp("seeds"))


def _mart(warehouse: Warehouse, month: date | None = None) -> dict[tuple[date, str, str], tuple]:
    rows = warehouse.rows(
        f"select month, attribution_model, campaign_key, credited_to, attributed_deals, attributed_revenue, "
        f"won_deals, won_revenue, deal_share, revenue_share from {CANDIDATE_SCHEMA}.campaign_attribution_monthly")
    return {(r[0], r[1], r[2]): r[3:] for r in rows if month is None or r[0] == month}


def _expected(deals: tuple[str, ...], weights: dict = WEIGHTS) -> dict[tuple[date, str, str], tuple[float, float]]:
    """(month, model, key) -> (attributed deals, attributed revenue), summed from the weights: a key
    touched in a month has a row under every model, with 0 where the model gives it no credit."""
    out: dict[tuple[date, str, str], tuple[float, float]] = {}
    for deal in deals:
        for model, touches in weights[deal].items():
            for key, weight in touches:
                n, revenue = out.get((MONTH[deal], model, key), (0.0, 0.0))
                out[(MONTH[deal], model, key)] = (n + weight, revenue + weight * AMOUNTS[deal])
    return out


def _assert_weights(warehouse: Warehouse, weights: dict) -> None:
    rows = warehouse.rows("select deal_id, attribution_model, campaign_key, weight, touch_rank "
                          "from intermediate.int_attribution_weights")
    found: dict[str, dict[str, list]] = {}
    for deal, model, key, weight, _rank in sorted(rows, key=lambda r: (r[0], r[1], r[4] or 0)):
        found.setdefault(deal, {}).setdefault(model, []).append((key, weight))
    assert set(found) == set(weights)  # the lost deal hF is not attributed
    for deal, models in weights.items():
        assert set(found[deal]) == set(MODELS), deal
        for model, expected in models.items():
            got = found[deal][model]
            assert [k for k, _ in got] == [k for k, _ in expected], (deal, model)
            for (_, w), (_, e) in zip(got, expected, strict=True):
                assert math.isclose(w, e, abs_tol=1e-12), (deal, model, got, expected)


def test_each_deals_weights_under_each_model(built: Warehouse):
    _assert_weights(built, WEIGHTS)


def test_touches_outside_the_window_or_after_the_close_do_not_count(built: Warehouse):
    touches = dict(built.rows("select deal_id, max(touches) from intermediate.int_attribution_weights "
                              "group by deal_id"))
    assert touches == {"hA": 1, "hB": 2, "hC": 3, "hD": 0, "hE": 0, "006s1": 4, "006s2": 1}


def test_the_mart_credits_each_key_by_hand(built: Warehouse):
    mart = _mart(built)
    expected = _expected(tuple(WEIGHTS))
    assert set(mart) == set(expected)
    for key, (deals, revenue) in expected.items():
        credited_to, got_deals, got_revenue, *_ = mart[key]
        assert math.isclose(got_deals, deals, abs_tol=1e-9), key
        assert abs(got_revenue - Decimal(str(round(revenue, 6)))) <= Decimal("0.000001"), key
        assert credited_to == {NO_CAMPAIGN: "no_campaign", UNATTRIBUTED: "unattributed"}.get(key[2], "campaign")
    # Spot checks worked out in full: hC's 300 under position_based is 120 / 60 / 120.
    assert mart[(MARCH, "position_based", "retarget")][2] == Decimal("160.000000")  # hB 100 + hC 60
    assert mart[(MARCH, "linear", UNATTRIBUTED)][1:3] == (2.0, Decimal("75.000000"))


def test_every_model_conserves_each_months_won_deals_and_revenue(built: Warehouse):
    mart = _mart(built)
    totals = {MARCH: (5, Decimal(675)), APRIL: (2, Decimal(480))}
    for month, (won_deals, won_revenue) in totals.items():
        for model in MODELS:
            rows = [v for (m, mod, _), v in mart.items() if m == month and mod == model]
            assert {(r[3], r[4]) for r in rows} == {(won_deals, won_revenue)}
            assert math.isclose(sum(r[1] for r in rows), won_deals, abs_tol=1e-6)
            assert abs(sum(r[2] for r in rows) - won_revenue) <= Decimal("0.01")
            assert math.isclose(sum(r[6] for r in rows), 1.0, abs_tol=1e-6)  # revenue shares


def test_a_shorter_lookback_and_half_life_change_the_credit(warehouse_url: str, tmp_path: Path):
    # 10 days back from each close leaves hC only its direct touch (age 0), hB only its retarget
    # touch (age 7, the organic one is 14), and o1 all four memberships (ages 9, 5, 2, 1), decaying
    # with a 1-day half-life.
    warehouse = _build(warehouse_url, CRMS, tmp_path,
                       {"attribution_lookback_days": "10", "attribution_half_life_days": "1"})
    rows = warehouse.rows("select deal_id, campaign_key, weight from intermediate.int_attribution_weights "
                          "where attribution_model = 'time_decay' order by deal_id, touch_rank")
    by_deal: dict[str, list] = {}
    for deal, key, weight in rows:
        by_deal.setdefault(deal, []).append((key, weight))
    assert by_deal["hC"] == [(NO_CAMPAIGN, 1.0)]
    assert by_deal["hB"] == [("retarget", 1.0)]
    raw = [2.0 ** -a for a in (9, 5, 2, 1)]
    assert [k for k, _ in by_deal["006s1"]] == ["spring_sale", "retarget", "webinar", "retarget"]
    for (_, w), r in zip(by_deal["006s1"], raw, strict=True):
        assert math.isclose(w, r / sum(raw), rel_tol=1e-12)


@pytest.mark.parametrize("crm", CRMS)
def test_one_crm_alone_gets_its_own_deals_and_the_mart_still_conserves(warehouse_url: str, tmp_path: Path,
                                                                        crm: str):
    alone = _mart(_build(warehouse_url, (crm,), tmp_path))
    deals = tuple(d for d in WEIGHTS if d.startswith("h") == (crm == "hubspot"))
    expected = _expected(deals)
    assert set(alone) == set(expected)
    for key, (n, revenue) in expected.items():
        assert math.isclose(alone[key][1], n, abs_tol=1e-9), key
        assert abs(alone[key][2] - Decimal(str(round(revenue, 6)))) <= Decimal("0.000001"), key


def test_contacts_web_sessions_are_touches_of_their_crms_deals(warehouse_url: str, tmp_path: Path):
    warehouse = _build(warehouse_url, (*CRMS, "google_analytics"), tmp_path)
    _assert_weights(warehouse, WEB_WEIGHTS)
    touches = dict(warehouse.rows("select deal_id, max(touches) from intermediate.int_attribution_weights "
                                  "group by deal_id"))
    assert touches == {"hA": 1, "hB": 4, "hC": 3, "hD": 1, "hE": 0, "006s1": 4, "006s2": 2}
    web = warehouse.rows(
        "select deal_id, touch_id, touched_at, age_days, touch_rank from intermediate.int_attribution_weights "
        "where touch_type = 'web_session' and attribution_model = 'linear' order by deal_id, touch_rank")
    day = lambda text: datetime.fromisoformat(f"{text} 00:00:00+00:00")  # noqa: E731
    assert [(d, i, t.astimezone(UTC), a, r) for d, i, t, a, r in web] == [
        ("006s2", "google_analytics:p1:003s2:2026-04-11:google/cpc/spring_sale", day("2026-04-11"), 1, 2),
        ("hB", "google_analytics:p1:b1:2026-03-12:google/organic/(organic)", day("2026-03-12"), 3, 3),
        ("hB", "google_analytics:p1:b1:2026-03-12:newsletter/email/spring_news", day("2026-03-12"), 3, 4),
        ("hD", "google_analytics:p1:d1:2026-03-20:(direct)/(none)/(not set)", day("2026-03-20"), 0, 1),
    ]
    mart = _mart(warehouse)
    expected = _expected(tuple(WEB_WEIGHTS), WEB_WEIGHTS)
    assert set(mart) == set(expected)
    for key, (deals, revenue) in expected.items():
        assert math.isclose(mart[key][1], deals, abs_tol=1e-9), key
        assert abs(mart[key][2] - Decimal(str(round(revenue, 6)))) <= Decimal("0.000001"), key
    # hB's 200 under linear: 50 each to the two no-campaign touches, retarget and spring_news; hD's 50
    # now goes to (no campaign), leaving only hE's 25 unattributed.
    assert mart[(MARCH, "linear", "spring_news")][1:3] == (0.25, Decimal("50.000000"))
    assert mart[(MARCH, "linear", UNATTRIBUTED)][1:3] == (1.0, Decimal("25.000000"))
    assert mart[(APRIL, "last_touch", "spring_sale")][2] == Decimal("80.000000")  # o2's web session


def test_without_a_crm_the_mart_is_not_built():
    assert "campaign_attribution_monthly" not in project(("fx_rates", "google_ads", "google_analytics")).marts
    assert "campaign_attribution_monthly" in project(("hubspot",)).marts


@pytest.mark.parametrize(("overrides", "key"), [
    ({"attribution_lookback_days": "-1"}, "FUNNELHOUSE_ATTRIBUTION_LOOKBACK_DAYS"),
    ({"attribution_half_life_days": "0"}, "FUNNELHOUSE_ATTRIBUTION_HALF_LIFE_DAYS"),
    ({"attribution_half_life_days": "soon"}, "FUNNELHOUSE_ATTRIBUTION_HALF_LIFE_DAYS"),
])
def test_bad_attribution_settings_name_the_key(overrides: dict[str, str], key: str):
    with pytest.raises(ModelSettingError, match=key):
        load_model_settings(overrides)


def test_attribution_settings_render_as_bare_numbers():
    settings = load_model_settings({"attribution_lookback_days": "30", "attribution_half_life_days": "3.5"})
    assert (settings.attribution_lookback_days, settings.attribution_half_life_days) == (30, 3.5)
    assert render("{{ num('attribution_lookback_days') }} {{ num('attribution_half_life_days') }}",
                  settings.variables()) == "30 3.5"
