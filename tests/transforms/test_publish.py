"""Publishing marts by rename or by replacing a window's days, on DuckDB and PostgreSQL: what readers
of `marts.*` see, what is logged, and that a publication never reads or copies a whole mart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from transforms import state
from transforms.models import CANDIDATE_SCHEMA, live_relation
from transforms.publication import PublishError, publish
from transforms.runner import MissingInputError
from warehouse import Warehouse

DAY_1 = date(2026, 3, 1)


def day(n: int) -> date:
    return DAY_1 + timedelta(days=n - 1)


@pytest.fixture
def wh(warehouse_url: str) -> Iterator[Warehouse]:
    warehouse = Warehouse(warehouse_url)
    yield warehouse
    warehouse.dispose()


def candidate(wh: Warehouse, name: str, rows: list[tuple[date, str, int]], window: state.Window | None = None) -> None:
    """`marts_candidate.<name>` of (date_day, k, v) rows and its build record, as the runner leaves
    them: the whole mart (no window) or only the window's days."""
    values = " UNION ALL ".join(f"SELECT cast('{d.isoformat()}' as date) AS date_day, cast('{k}' as varchar) AS k, "
                                f"cast({v} as bigint) AS v" for d, k, v in rows)
    empty = "SELECT cast(NULL as date) AS date_day, cast(NULL as varchar) AS k, cast(NULL as bigint) AS v WHERE 1 = 0"
    relation = f"{CANDIDATE_SCHEMA}.{name}"
    with wh.begin() as conn:
        for statement in (f"CREATE SCHEMA IF NOT EXISTS {CANDIDATE_SCHEMA}", f"DROP TABLE IF EXISTS {relation}",
                          f"CREATE TABLE {relation} AS {values or empty}"):
            wh.run_statement(conn, statement)
        state.record(wh, conn, state.Build(relation, "fingerprint", "build-run", window, len(rows)))


def days(first: int, last: int, v: int = 1, per_day: int = 2) -> list[tuple[date, str, int]]:
    return [(day(n), f"k{i}", v * n) for n in range(first, last + 1) for i in range(per_day)]


def published(wh: Warehouse, name: str) -> list[tuple]:
    return sorted(wh.rows(f"SELECT date_day, k, v FROM marts.{name}"))


def kinds(wh: Warehouse) -> dict[tuple[str, str], str]:
    return {(s, t): kind for s, t, kind in wh.rows(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema IN ('marts', 'marts_candidate')")}


@contextmanager
def statements(wh: Warehouse) -> Iterator[list[str]]:
    """Every statement sent to the warehouse inside the block, as sent."""
    sent: list[str] = []

    def log(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(statement)

    sa.event.listen(wh.engine, "before_cursor_execute", log)
    try:
        yield sent
    finally:
        sa.event.remove(wh.engine, "before_cursor_execute", log)


def naming(sent: list[str], name: str) -> list[str]:
    """The statements that name the mart's candidate, live or published relation."""
    return [s for s in sent if f"marts_candidate.{name}" in s or f"marts.{name}" in s]


def test_a_whole_candidate_is_renamed_into_place_behind_a_view(wh: Warehouse):
    candidate(wh, "a", days(1, 3))
    first = publish(wh, ["a"], "run-1", ("google_ads",))
    assert first["a"].relation == "marts.a" and first["a"].row_count == 6
    assert [c.name for c in first["a"].columns] == ["date_day", "k", "v"]
    assert published(wh, "a") == sorted(days(1, 3))
    assert kinds(wh) == {("marts", "a"): "VIEW", live_relation("a"): "BASE TABLE"}

    # The second version adds a column: PostgreSQL cannot replace the view in place, so it is recreated.
    with wh.begin() as conn:
        wh.run_statement(conn, "CREATE TABLE marts_candidate.a AS SELECT date_day, k, v * 10 AS v, 'x' AS extra "
                               "FROM marts_candidate.a__live")
        state.record(wh, conn, state.Build("marts_candidate.a", "fingerprint", "build-run", None, 6))
    second = publish(wh, ["a"], "run-2", ("google_ads",))
    assert [c.name for c in second["a"].columns] == ["date_day", "k", "v", "extra"]
    assert sorted(wh.rows("SELECT date_day, k, v, extra FROM marts.a")) == sorted(
        (d, k, v * 10, "x") for d, k, v in days(1, 3))
    # No old table left behind, and the candidate, renamed away, has no build record any more.
    assert kinds(wh) == {("marts", "a"): "VIEW", live_relation("a"): "BASE TABLE"}
    with wh.begin() as conn:
        assert "marts_candidate.a" not in state.read(wh, conn)
    assert wh.rows("SELECT mart, run_id, row_count, mode, window_start, window_end FROM audit.publications "
                   "ORDER BY published_at") == [("a", "run-1", 6, "full", None, None),
                                                ("a", "run-2", 6, "full", None, None)]


def test_a_whole_publication_sends_the_same_statements_whatever_the_mart_size(wh: Warehouse):
    """The cost does not grow with the mart: every statement naming it is a rename, a view, a lock or
    a drop, the row count comes from the build record, and 10 or 20,000 rows send the same SQL."""
    sent_for: list[list[str]] = []
    # The first publication creates the view; the next two replace a live table of 10 rows.
    for size in (10, 10, 20_000):
        with wh.begin() as conn:
            for statement in ("CREATE SCHEMA IF NOT EXISTS marts_candidate",
                              "CREATE TABLE marts_candidate.big AS SELECT g AS v FROM generate_series(1, "
                              f"{size}) AS t(g)"):
                wh.run_statement(conn, statement)
            state.record(wh, conn, state.Build("marts_candidate.big", "f", "r", None, size))
        with statements(wh) as sent:
            result = publish(wh, ["big"], f"run-{size}", ())
        assert result["big"].row_count == size == wh.scalar("SELECT count(*) FROM marts.big")
        sent_for.append(sent)
    small, large = sent_for[1:]
    assert small == large
    assert not [s for s in large if "count(" in s.lower()]
    assert naming(large, "big")
    for statement in naming(large, "big"):
        assert statement.startswith(("ALTER TABLE", "CREATE OR REPLACE VIEW", "DROP TABLE", "LOCK TABLE")), statement


def test_a_partial_candidate_replaces_only_its_window_days(wh: Warehouse):
    candidate(wh, "m", days(1, 10))
    publish(wh, ["m"], "run-full", ())
    window = state.Window("date_day", day(8), day(10))
    # Day 8 changed, day 9 has a row more, day 10 has no rows any more.
    changed = [*days(8, 8, v=100), *days(9, 9, v=100, per_day=3)]
    candidate(wh, "m", changed, window)
    with statements(wh) as sent:
        result = publish(wh, ["m"], "run-window", ())
    assert published(wh, "m") == sorted([*days(1, 7), *changed])
    assert result["m"].row_count == 14 + 5 == wh.scalar("SELECT count(*) FROM marts.m")
    # Counted from the live table's build record and the statements' row counts, never over the table;
    # the record keeps the count for the next merge.
    assert not [s for s in sent if "count(" in s.lower()]
    with wh.begin() as conn:
        assert state.read(wh, conn)[".".join(live_relation("m"))].row_count == 19
    assert wh.rows("SELECT run_id, row_count, mode, window_start, window_end FROM audit.publications "
                   "WHERE run_id = 'run-window'") == [("run-window", 19, "window", day(8), day(10))]
    # The candidate stays, with its record: publishing it again changes nothing.
    assert (CANDIDATE_SCHEMA, "m") in kinds(wh)
    again = publish(wh, ["m"], "run-again", ())
    assert again["m"].row_count == 19
    assert published(wh, "m") == sorted([*days(1, 7), *changed])
    if wh.dialect == "postgres":
        assert wh.rows("SELECT indexdef FROM pg_indexes WHERE tablename = 'm__live'") == [
            ("CREATE INDEX m__live_date_day ON marts_candidate.m__live USING btree (date_day)",)]


def test_a_partial_candidate_needs_a_whole_mart_to_merge_into(wh: Warehouse):
    candidate(wh, "m", days(8, 10), state.Window("date_day", day(8), day(10)))
    with pytest.raises(PublishError, match=r"marts\.m: .* needs a full build first"):
        publish(wh, ["m"], "run-1", ())
    assert kinds(wh) == {(CANDIDATE_SCHEMA, "m"): "BASE TABLE"}


def test_a_partial_candidate_with_other_columns_is_refused(wh: Warehouse):
    candidate(wh, "m", days(1, 10))
    publish(wh, ["m"], "run-full", ())
    wh.execute(["CREATE TABLE marts_candidate.m AS SELECT date_day, k FROM marts_candidate.m__live"])
    with wh.begin() as conn:
        state.record(wh, conn, state.Build("marts_candidate.m", "f", "r",
                                           state.Window("date_day", day(8), day(10)), 0))
    with pytest.raises(PublishError, match=r"marts\.m: its candidate's columns \(date_day .*, k .*\) differ"):
        publish(wh, ["m"], "run-window", ())
    assert published(wh, "m") == sorted(days(1, 10))


def test_a_mart_published_as_a_table_by_an_older_version_becomes_a_view(wh: Warehouse):
    wh.execute([
        "CREATE SCHEMA marts", "CREATE TABLE marts.x AS SELECT 1 AS v", "CREATE SCHEMA audit",
        # The log as older versions created it.
        "CREATE TABLE audit.publications (mart varchar NOT NULL, run_id varchar NOT NULL, published_at timestamp "
        "with time zone NOT NULL, row_count bigint NOT NULL, sources varchar NOT NULL)",
        "INSERT INTO audit.publications VALUES ('x', 'old-run', now(), 1, 'hubspot')",
    ])
    candidate(wh, "x", days(1, 2))
    assert publish(wh, ["x"], "new-run", ("hubspot",))["x"].row_count == 4
    assert kinds(wh) == {("marts", "x"): "VIEW", live_relation("x"): "BASE TABLE"}
    assert published(wh, "x") == sorted(days(1, 2))
    assert wh.rows("SELECT run_id, row_count, mode FROM audit.publications ORDER BY published_at") == [
        ("old-run", 1, None), ("new-run", 4, "full")]


@pytest.mark.parametrize("second", ["missing", "partial with other columns"])
def test_a_failed_publication_leaves_every_mart_as_it_was(wh: Warehouse, second: str):
    candidate(wh, "a", days(1, 3))
    candidate(wh, "b", days(1, 3))
    publish(wh, ["a", "b"], "run-1", ())
    before = {name: published(wh, name) for name in ("a", "b")}
    candidate(wh, "a", days(1, 3, v=7))
    if second == "missing":
        error = MissingInputError
    else:
        # Found only once `a` is swapped: the transaction undoes the renames.
        error = PublishError
        wh.execute(["CREATE TABLE marts_candidate.b AS SELECT date_day FROM marts_candidate.b__live"])
        with wh.begin() as conn:
            state.record(wh, conn, state.Build("marts_candidate.b", "f", "r",
                                               state.Window("date_day", day(2), day(3)), 0))
    with pytest.raises(error, match="no candidate to publish for b" if second == "missing" else r"marts\.b"):
        publish(wh, ["a", "b"], "run-2", ())
    assert {name: published(wh, name) for name in ("a", "b")} == before
    assert (CANDIDATE_SCHEMA, "a") in kinds(wh) and (CANDIDATE_SCHEMA, "a__old") not in kinds(wh)
    assert wh.scalar("SELECT count(*) FROM audit.publications WHERE run_id = 'run-2'") == 0
    with wh.begin() as conn:
        assert state.read(wh, conn)["marts_candidate.a"].mode == state.FULL


def test_a_reader_never_sees_two_marts_from_different_publications(wh: Warehouse):
    """Version k puts a sum of k in both marts, published together, alternately whole and by window.
    A reader querying both marts at once sees equal sums, and more than one version."""
    window = state.Window("date_day", day(4), day(5))

    def version(k: int) -> None:
        for name in ("a", "b"):
            if k % 2:
                candidate(wh, name, [*[(day(n), "k", 0) for n in range(1, 5)], (day(5), "k", k)])
            else:
                candidate(wh, name, [(day(4), "k", 0), (day(5), "k", k)], window)
        publish(wh, ["a", "b"], f"run-{k}", ())

    version(1)
    seen: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            # Through the warehouse's engine: on DuckDB it shares the process's database instance.
            with wh.engine.connect() as conn:
                while not stop.is_set():
                    seen.append(tuple(conn.exec_driver_sql(
                        "SELECT (SELECT sum(v) FROM marts.a), (SELECT sum(v) FROM marts.b)").one()))
                    # Each query its own transaction, as a BI tool's: it sees the latest publication.
                    conn.rollback()
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        k = 1
        while k < 300 and (k < 20 or len({a for a, _ in seen}) < 3):
            k += 1
            version(k)
    finally:
        stop.set()
        reader.join(timeout=60)
    assert not errors, errors
    assert seen and all(a == b for a, b in seen), [pair for pair in seen if pair[0] != pair[1]][:5]
    assert len({a for a, _ in seen}) > 1
    assert published(wh, "a") == [*[(day(n), "k", 0) for n in range(1, 5)], (day(5), "k", k)]
