"""The marketing model's settings: naming convention, pacing tolerances, attribution, funnel, cohorts.

Each is a top-level `funnelhouse_<name>` key, resolved the dlt way (env var `FUNNELHOUSE_<NAME>`,
then `.dlt/config.toml`), read when a run starts, never at import time. The models read them as
variables: a number or word as `{{ var('<name>') }}` (a quoted literal) or `{{ num('<name>') }}` (a
bare number), a list or mapping as `{{ setting_rows('<name>') }}`, a relation of its rows. Rows are
written into the SQL as quoted literals, whatever characters they hold, so a value such as
`O'Brien; drop table x` stays data. The defaults describe the sandbox's world and are what the
tests build with.

Changing a setting changes the SQL of the models that read it, so their fingerprints change and the
next run rebuilds them (and what is built from them) whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class ModelSettingError(ValueError):
    """A model setting is malformed; the message names the key."""


@dataclass(frozen=True)
class Rows:
    """A table-valued setting: its column names and rows of text, as `setting_rows()` renders it."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _key(name: str) -> str:
    return f"FUNNELHOUSE_{name.upper()}"


@dataclass(frozen=True)
class Setting:
    """One setting's documentation: what the README and .dlt/example.config.toml say of it."""

    name: str
    default: Any
    description: str


def _doc(description: str) -> dict[str, Any]:
    return {"description": description}


@dataclass(frozen=True)
class ModelSettings:
    # Naming governance (marts.dim_campaign, marts.campaign_naming_violations).
    naming_template: str = field(default="{offer} | {tactic} | {region}", metadata=_doc(
        "Campaign naming convention: parts in braces, joined by one separator (e.g. "
        "`{region}_{channel}_{objective}_{period}`). Parts parse from each campaign's name."))
    naming_allowed: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {
        "tactic": ("Search", "Shopping", "Prospecting", "Retargeting", "Remarketing", "Video", "Display"),
        "region": ("US", "UK", "DE", "EU"),
    }, metadata=_doc("JSON object: for each part with a fixed vocabulary, its allowed values "
                     "(compared case-insensitively). Parts not listed accept any non-empty value."))
    # Plan vs actual (marts.budget_pacing).
    pacing_tolerance: float = field(default=0.1, metadata=_doc(
        "How far spend to date may lie from the expected spend, as a share of it, and still be on track: "
        "0.1 is on_track between 90% and 110%."))
    pacing_daily_profile: Mapping[str, float] = field(default_factory=lambda: {
        day: 1.0 for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }, metadata=_doc("JSON object: the weight of each weekday in a month's expected spend (mon to sun). "
                     "Equal weights are linear pacing."))
    # Multi-touch attribution (marts.campaign_attribution_monthly).
    attribution_lookback_days: int = field(default=90, metadata=_doc(
        "Attribution lookback: a won deal is attributed over its contacts' touches from this many days "
        "before its close day up to the close day (UTC days)."))
    attribution_half_life_days: float = field(default=7.0, metadata=_doc(
        "Time-decay half-life in days: a touch this many days before the close weighs half as much as "
        "one on the close day."))

    # Funnel and cohorts (marts.funnel_monthly, marts.customer_cohorts).
    funnel_stages: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {
        "mql": ("marketingqualifiedlead", "Working - Contacted"),
        "sql": ("salesqualifiedlead", "Closed - Converted"),
        "opportunity": ("opportunity",),
        "won": ("customer", "evangelist"),
    }, metadata=_doc("JSON object: for each funnel stage after lead (mql, sql, opportunity, won), the CRM "
                     "lifecycle values (HubSpot lifecyclestage, Salesforce Lead Status) that mean a contact reached "
                     "it, compared case-insensitively. A contact counts in its furthest stage and every one before."))
    cohort_horizon_months: int = field(default=12, metadata=_doc(
        "How many months from acquisition (the acquisition month is the first) customer lifetime value sums "
        "revenue over, and how many months each cohort's rows run."))

    @classmethod
    def documented(cls) -> list[Setting]:
        defaults = cls()
        return [Setting(f.name, getattr(defaults, f.name), f.metadata.get("description", "")) for f in fields(cls)]

    def variables(self) -> dict[str, Any]:
        """What the models render with: strings, numbers as text, and `Rows` for lists and mappings."""
        weights = self.pacing_daily_profile
        return {
            "naming_template": self.naming_template,
            "naming_separator": naming_parts(self.naming_template)[1],
            "naming_parts": Rows(("part", "position"), tuple(
                (part, str(i + 1)) for i, part in enumerate(naming_parts(self.naming_template)[0]))),
            "naming_allowed": Rows(("part", "allowed_value"), tuple(
                (part, value) for part, values in sorted(self.naming_allowed.items()) for value in values)),
            "pacing_tolerance": _number(self.pacing_tolerance),
            # ISO weekday numbers (1 = Monday), as isodow answers on both engines.
            "pacing_daily_profile": Rows(("isodow", "weight"), tuple(
                (str(i + 1), _number(weights[day])) for i, day in enumerate(WEEKDAYS))),
            "funnel_stages": Rows(("stage", "stage_rank", "crm_value"), tuple(
                (stage, str(FUNNEL_STAGES.index(stage) + 1), value)
                for stage in FUNNEL_STAGES for value in self.funnel_stages.get(stage, ()))),
            "cohort_horizon_months": str(self.cohort_horizon_months),
            "cohort_months": Rows(("months_since_acquisition",), tuple(
                (str(i),) for i in range(self.cohort_horizon_months))),
            "attribution_lookback_days": _number(self.attribution_lookback_days),
            "attribution_half_life_days": _number(self.attribution_half_life_days),
        }


# The funnel's stages after lead, in order: each CRM value mapped to one counts toward it and every earlier one.
FUNNEL_STAGES = ("mql", "sql", "opportunity", "won")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def naming_parts(template: str) -> tuple[tuple[str, ...], str]:
    """The template's parts in order and the one separator between them. Raises naming the key."""
    parts = _PLACEHOLDER.findall(template)
    pieces = _PLACEHOLDER.split(template)
    # split alternates text and part names: text, part, text, part, ..., text.
    separators = set(pieces[2:-1:2])
    if not parts or pieces[0] or pieces[-1] or len(separators) > 1 or "" in separators:
        raise ModelSettingError(f"setting '{_key('naming_template')}' must be parts in braces joined by one "
                                "separator, such as {region}_{channel}_{objective}_{period}")
    if len(set(parts)) != len(parts):
        raise ModelSettingError(f"setting '{_key('naming_template')}' names a part twice")
    return tuple(parts), (separators.pop() if separators else "")


def _number(value: float) -> str:
    text = repr(float(value)) if not isinstance(value, int) else str(value)
    return text[:-2] if text.endswith(".0") else text


def _json(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ModelSettingError(f"setting '{_key(name)}' must be JSON") from None


def _parse(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, str):
        return raw
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        if not NUMBER.match(raw.strip()) or (isinstance(default, int) and "." in raw):
            raise ModelSettingError(f"setting '{_key(name)}' must be a {'whole ' if isinstance(default, int) else ''}number")
        return type(default)(float(raw)) if isinstance(default, float) else int(raw)
    value = _json(name, raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict):
        raise ModelSettingError(f"setting '{_key(name)}' must be a JSON object")
    return value


def _validate(settings: ModelSettings) -> ModelSettings:
    parts, _ = naming_parts(settings.naming_template)
    allowed = {}
    for part, values in settings.naming_allowed.items():
        if part not in parts:
            raise ModelSettingError(f"setting '{_key('naming_allowed')}' names part {part!r}, which "
                                    f"{_key('naming_template')} does not have")
        if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, str) and v for v in values):
            raise ModelSettingError(f"setting '{_key('naming_allowed')}': part {part!r} lists its allowed values "
                                    "as non-empty strings")
        allowed[part] = tuple(values)
    if not 0 <= settings.pacing_tolerance < 1:
        raise ModelSettingError(f"setting '{_key('pacing_tolerance')}' must be at least 0 and below 1")
    profile = settings.pacing_daily_profile
    if set(profile) != set(WEEKDAYS) or not all(isinstance(w, (int, float)) and w >= 0 for w in profile.values()) \
            or not any(profile.values()):
        raise ModelSettingError(f"setting '{_key('pacing_daily_profile')}' gives a weight of 0 or more to each of "
                                f"{', '.join(WEEKDAYS)}, not all 0")
    stages = settings.funnel_stages
    if not set(stages) <= set(FUNNEL_STAGES) or not all(
            isinstance(v, (list, tuple)) and all(isinstance(x, str) and x for x in v) for v in stages.values()):
        raise ModelSettingError(f"setting '{_key('funnel_stages')}' maps stages among {', '.join(FUNNEL_STAGES)} "
                                "to lists of CRM lifecycle values (non-empty strings)")
    mapped = [value.lower() for values in stages.values() for value in values]
    if len(set(mapped)) != len(mapped):
        raise ModelSettingError(f"setting '{_key('funnel_stages')}' maps a CRM value to two stages")
    horizon = settings.cohort_horizon_months
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 120:
        raise ModelSettingError(f"setting '{_key('cohort_horizon_months')}' must be a whole number from 1 to 120")
    if settings.attribution_lookback_days < 0:
        raise ModelSettingError(f"setting '{_key('attribution_lookback_days')}' must be a whole number of days, "
                                "0 or more")
    if not settings.attribution_half_life_days > 0:
        raise ModelSettingError(f"setting '{_key('attribution_half_life_days')}' must be more than 0")
    from dataclasses import replace

    return replace(settings, naming_allowed=allowed,
                   pacing_daily_profile={day: float(profile[day]) for day in WEEKDAYS},
                   funnel_stages={stage: tuple(stages[stage]) for stage in FUNNEL_STAGES if stage in stages})


def load_model_settings(overrides: Mapping[str, Any] | None = None) -> ModelSettings:
    """Explicit `overrides` win; then env vars and .dlt files; then the defaults."""
    import dlt

    defaults = ModelSettings()
    values: dict[str, Any] = {}
    for f in fields(ModelSettings):
        raw: Any = (overrides or {}).get(f.name)
        if raw is None:
            # Not stringified: a TOML table or array arrives as one, a JSON string as text.
            raw = dlt.config.get(f"funnelhouse_{f.name}")
        if raw in (None, ""):
            continue
        values[f.name] = _parse(f.name, raw, getattr(defaults, f.name)) if isinstance(raw, str) else raw
    return _validate(ModelSettings(**values))
