"""The bookkeeping benchmark's arithmetic: each setup's share of a full build, and the figure the
main benchmark reports for the production setup."""

from __future__ import annotations

import yaml

from bench.orchestration import figure, production_dagster_yaml, with_shares


def _measured() -> dict:
    return {"days": 1095, "setups": {"production": {"seconds": 10.0}, "cli_sqlite": {"seconds": 150.0},
                                     "sqlite_defaults": {"seconds": 350.0}}}


def test_shares_are_bookkeeping_over_itself_plus_the_full_builds_work():
    # The full build ran on the CLI's instance: 150 s of its 440 s were bookkeeping, 290 s work.
    result = with_shares(_measured(), full_build_seconds=440.0)
    assert result["work_seconds"] == 290.0
    assert result["shares"] == {"production": 10 / 300, "cli_sqlite": 150 / 440, "sqlite_defaults": 350 / 640}
    production = figure(result)
    assert production is not None and production.ratio == 10 / 300 and production.met
    assert figure(with_shares(_measured(), full_build_seconds=160.0)).met is False


def test_no_figure_without_postgres_or_a_full_build():
    without_postgres = _measured()
    del without_postgres["setups"]["production"]
    assert figure(with_shares(without_postgres, full_build_seconds=440.0)) is None
    assert figure(_measured()) is None


def test_the_documented_dagster_yaml_is_the_first_yaml_block_and_names_postgres_storage():
    config = yaml.safe_load(production_dagster_yaml())
    assert set(config["storage"]) == {"postgres"}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
