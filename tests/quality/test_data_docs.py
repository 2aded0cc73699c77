"""Data Docs: GX's pages of a passing and a failing table, the run's index, offline, where configured."""

from __future__ import annotations

import fcntl
import re
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import great_expectations as gx
import pytest

from quality import data_docs
from quality.runner import Finding, Outcome, Rule, validate
from tests.quality.test_runner import _table
from warehouse import Warehouse

E = gx.expectations
RUN = "0b1c2d3e-run"
CHECK = "quality_gate"


def _rules() -> list[Rule]:
    return [
        Rule(E.ExpectColumnValuesToBeBetween(column="v", min_value=0, meta={"rule": "non_negative:v"}),
             (E.ExpectColumnMinToBeBetween(column="v", min_value=0),)),
        Rule(E.ExpectColumnValuesToNotBeNull(column="id", meta={"rule": "not_null:id"}),
             (E.ExpectColumnProportionOfNonNullValuesToBeBetween(column="id", min_value=1.0),)),
        Rule(E.ExpectTableRowCountToBeBetween(min_value=1, meta={"rule": "min_rows"})),
    ]


@pytest.fixture
def outcomes(tmp_path: Path) -> tuple[Outcome, Outcome]:
    """s.t passes every rule; s.bad, s.t plus two negative values, fails non_negative:v."""
    warehouse = _table(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    warehouse.execute(["CREATE TABLE s.bad AS SELECT * FROM s.t UNION ALL SELECT 'd', -7 UNION ALL SELECT 'e', -9"])
    good = validate(warehouse, "s", "t", _rules(), ("id",))
    bad = validate(warehouse, "s", "bad", _rules(), ("id",))
    assert good.success and bad.status == "failed"
    return good, bad


def _text(html: str) -> str:
    """The page's visible text, one space between words."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'")


class _Index(HTMLParser):
    """The rows of the index's table: each cell's text, and the first link of each row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[list[str], str | None]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append(([], None))
        elif tag == "td":
            self._cell = []
        elif tag == "a" and self.rows and self.rows[-1][1] is None:
            self.rows[-1] = (self.rows[-1][0], dict(attrs)["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1][0].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _index(folder: Path) -> list[tuple[list[str], str | None]]:
    parser = _Index()
    parser.feed((folder / "index.html").read_text())
    return [row for row in parser.rows if row[0]]


def test_a_failing_table_s_page_shows_the_failed_rule_its_count_and_its_values(outcomes, tmp_path: Path):
    _, bad = outcomes
    page = data_docs.write(bad, RUN, CHECK, tmp_path / "docs")
    assert page == tmp_path / "docs" / RUN / CHECK / "s.bad.html"
    text = _text(page.read_text())
    assert "Data asset: s.bad" in text and "Status: Failed" in text
    # GX's own section of the rule's row-level expectation: its count and its unexpected values.
    assert "values must be greater than or equal to 0" in text
    assert "2 unexpected values found. 40% of 5 total rows." in text
    assert re.search(r"Unexpected Value Count (-7 1 -9 1|-9 1 -7 1)", text), text
    # The offending rows, whole, named by the rule and the index column.
    assert "expect_column_values_to_be_between on v: 2 unexpected rows (rule non_negative:v) id v d -7 e -9" in text
    # Passing rules show the screen that decided them.
    assert "proportion of non-null values must be greater than or equal to 1.0" in text
    assert "Evaluated Expectations 3 Successful Expectations 2 Unsuccessful Expectations 1" in text


def test_a_passing_table_gets_its_page_too(outcomes, tmp_path: Path):
    good, _ = outcomes
    text = _text(data_docs.write(good, RUN, CHECK, tmp_path / "docs").read_text())
    assert "Data asset: s.t" in text and "Status: Succeeded" in text
    assert "minimum value must be greater than or equal to 0" in text
    assert "unexpected" not in text.lower() and "Offending rows" not in text


def test_the_run_s_index_lists_each_table_its_status_and_page(outcomes, tmp_path: Path):
    good, bad = outcomes
    root = tmp_path / "docs"
    data_docs.write(bad, RUN, CHECK, root)
    data_docs.write(good, RUN, CHECK, root)
    missing = Finding("validator", None, None, None, (), "ProgrammingError: no table s.gone")
    assert data_docs.write(Outcome("s.gone", 0, errors=(missing,)), RUN, "nothing_quarantined", root) is None
    rows = _index(root / RUN)
    assert [(cells[:5], link) for cells, link in rows] == [
        (["s.bad", CHECK, "failed", "3", "1"], f"{CHECK}/s.bad.html"),
        (["s.gone", "nothing_quarantined", "error", "0", "0"], None),
        (["s.t", CHECK, "passed", "3", "0"], f"{CHECK}/s.t.html"),
    ]
    assert rows[0][0][5] == "expect_column_values_to_be_between on v: 2 unexpected rows (rule non_negative:v)"
    assert "no table s.gone" in rows[1][0][5] and "No page" in rows[1][0][5]
    for _, link in rows:
        assert link is None or (root / RUN / link).is_file()


def test_pages_load_nothing_from_the_network(outcomes, tmp_path: Path):
    good, bad = outcomes
    root = tmp_path / "docs"
    pages = [data_docs.write(o, RUN, CHECK, root) for o in (good, bad)] + [root / RUN / "index.html"]
    for page in pages:
        html = page.read_text()
        assert not re.search(r"https?:|//[a-z]", html, re.IGNORECASE), page.name
        assert "@import" not in html and "url(" not in html
        # Every reference is an anchor of the page or a file of the run's docs.
        for ref in re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html):
            assert ref.startswith("#") or (page.parent / ref).resolve().is_file(), (page.name, ref)


def test_the_folder_is_the_setting_read_when_writing(outcomes, tmp_path: Path, monkeypatch):
    good, _ = outcomes
    monkeypatch.setenv("FUNNELHOUSE_DATA_DOCS_DIR", str(tmp_path / "configured"))
    assert data_docs.publish(good, RUN, CHECK) == tmp_path / "configured" / RUN / CHECK / "s.t.html"
    assert (tmp_path / "configured" / RUN / "index.html").is_file()
    monkeypatch.delenv("FUNNELHOUSE_DATA_DOCS_DIR")
    monkeypatch.chdir(tmp_path)
    assert data_docs.publish(good, RUN, CHECK) == tmp_path / ".funnelhouse" / "data_docs" / RUN / CHECK / "s.t.html"


def test_docs_that_cannot_be_written_do_not_fail_the_check(outcomes, tmp_path: Path, monkeypatch):
    good, _ = outcomes
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("FUNNELHOUSE_DATA_DOCS_DIR", str(blocker))
    assert data_docs.publish(good, RUN, CHECK) is None


def test_checks_writing_at_once_all_reach_the_index(tmp_path: Path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    names = [f"t{i}" for i in range(6)]
    warehouse.execute(["CREATE SCHEMA s", *(f"CREATE TABLE s.{n} AS SELECT {i} AS v" for i, n in enumerate(names))])
    outcomes = [validate(warehouse, "s", n, [E.ExpectColumnValuesToBeBetween(column="v", min_value=1)]) for n in names]
    with ThreadPoolExecutor(len(outcomes)) as pool:
        list(pool.map(lambda o: data_docs.write(o, RUN, CHECK, tmp_path / "docs"), outcomes))
    statuses = [(cells[0], cells[2]) for cells, _ in _index(tmp_path / "docs" / RUN)]
    assert statuses == [("s.t0", "failed"), *((f"s.{n}", "passed") for n in names[1:])]


def test_a_check_rebuilds_the_index_only_under_the_run_s_lock(outcomes, tmp_path: Path):
    good, _ = outcomes
    folder = data_docs.run_folder(RUN, tmp_path / "docs")
    folder.mkdir(parents=True)
    with open(folder / ".lock", "w") as lock, ThreadPoolExecutor(1) as pool:
        fcntl.flock(lock, fcntl.LOCK_EX)
        writing = pool.submit(data_docs.write, good, RUN, CHECK, tmp_path / "docs")
        page = folder / CHECK / "s.t.html"
        while not page.exists() and not writing.done():
            time.sleep(0.01)
        time.sleep(0.3)
        assert page.exists() and not writing.done() and not (folder / "index.html").exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
        assert writing.result(timeout=60) == page
    assert [cells[:3] for cells, _ in _index(folder)] == [["s.t", CHECK, "passed"]]


def test_values_from_the_data_are_text_not_markup(tmp_path: Path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    warehouse.execute(["CREATE SCHEMA s", "CREATE TABLE s.t (id varchar, name varchar)",
                       "INSERT INTO s.t VALUES ('<i>k</i>', '<img src=x onerror=alert(1)>'), ('b', 'ok')"])
    outcome = validate(warehouse, "s", "t", [E.ExpectColumnValuesToBeInSet(column="name", value_set=["ok"])], ("id",))
    html = data_docs.write(outcome, RUN, CHECK, tmp_path / "docs").read_text()
    assert "<img" not in html and "<i>k" not in html
    # In GX's table of unexpected values and counts, and in the offending rows.
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") == 2 and "&lt;i&gt;k&lt;/i&gt;" in html
