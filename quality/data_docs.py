"""GX Data Docs for the quality checks: one static HTML page per check and table, and an index, per run.

    <FUNNELHOUSE_DATA_DOCS_DIR>/<run_id>/index.html
    <FUNNELHOUSE_DATA_DOCS_DIR>/<run_id>/<check>/<schema>.<table>.html

A mart's candidate is validated by two checks (its blocking gate and its warning-severity rules),
hence one folder per check.

The pages are GX's own: its ValidationResultsPageRenderer turns the results an Outcome kept into a
document, and its DefaultJinjaPageView and templates write every section of it. GX's page frame,
though, loads Bootstrap, jQuery, Popper, bootstrap-table, bootstrap-datepicker, Font Awesome and Vega
from CDNs and its logo from S3, and the package ships none of them (only its own stylesheet, fonts
and images). So the frame's templates (head, navbar, filter card) are the project's
(quality/templates/), with a stylesheet for the Bootstrap classes GX's sections use: a page loads
nothing from anywhere, and reads the same offline, from file:// or attached to a ticket. Lost with
the scripts: GX's charts (no rule of the project renders one) and its sortable index (ours is a plain
table).

Rendering happens after validation, outside quality.gate (and so outside the gate's benchmark).
Checks of one run may write at once (Dagster runs each mart's gate in a process of its own): each
writes its page and a small JSON record beside it, then rebuilds the index from every record, under
a lock on the run's folder.
"""

from __future__ import annotations

import fcntl
import functools
import html
import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quality.runner import Outcome

log = logging.getLogger("funnelhouse.quality")
TEMPLATES = Path(__file__).resolve().parent / "templates"
INDEX = "index.html"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def run_folder(run_id: str, root: Path | None = None) -> Path:
    """The run's folder under `root`, by default FUNNELHOUSE_DATA_DOCS_DIR (read now, not at import)."""
    if root is None:
        from warehouse.settings import data_docs_dir

        root = data_docs_dir()
    return Path(root) / _name(run_id)


def publish(outcome: Outcome, run_id: str, check: str) -> Path | None:
    """`write`, for a check: Data Docs that cannot be written (a full disk, a read-only folder) are
    logged, and never fail the check they document."""
    try:
        return write(outcome, run_id, check)
    except Exception:
        log.exception("could not write the Data Docs of %s on %s", check, outcome.relation)
        return None


def write(outcome: Outcome, run_id: str, check: str, root: Path | None = None) -> Path | None:
    """Write the page of `check` on `outcome`'s table and list it in the run's index. Returns the page,
    or None when the outcome kept no GX result (the table could not be read: the index shows why)."""
    folder = run_folder(run_id, root)
    page = folder / _name(check) / f"{_name(outcome.relation)}.html"
    if outcome.results:
        _write_atomically(page, render_page(outcome, run_id, check))
    else:
        # A retried step must not leave the page of an earlier attempt behind.
        page.unlink(missing_ok=True)
    record = {
        "relation": outcome.relation,
        "check": check,
        "status": outcome.status,
        "evaluated": outcome.evaluated,
        "failed": len(outcome.failures),
        "problems": [f.describe() for f in outcome.errors + outcome.failures],
        "page": page.relative_to(folder).as_posix() if outcome.results else None,
    }
    with _locked(folder):
        _write_atomically(page.with_suffix(".json"), json.dumps(record, indent=1))
        records = [json.loads(p.read_text()) for p in folder.glob("*/*.json")]
        _write_atomically(folder / INDEX, render_index(run_id, records))
    return page if outcome.results else None


def render_page(outcome: Outcome, run_id: str, check: str) -> str:
    """The HTML page of `check`'s results on `outcome`'s table, by GX's renderers."""
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    results = list(outcome.results)
    passed = sum(1 for r in results if r.success)
    schema, _, table = outcome.relation.partition(".")
    validation = ExpectationSuiteValidationResult(
        success=outcome.success,
        results=results,
        suite_name=check,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100 * passed / len(results) if results else None,
        },
        meta={
            "great_expectations_version": gx.__version__,
            "run_id": {"run_name": run_id, "run_time": datetime.now(UTC).isoformat()},
            "batch_spec": {"data_asset_name": outcome.relation, "schema_name": schema, "table_name": table,
                           **({"row_count": outcome.row_count} if outcome.row_count is not None else {})},
        },
    )
    document = ValidationResultsPageRenderer().render(validation)
    _unlink_suite(document)
    if samples := _samples(outcome):
        document.sections.insert(1, samples)
    _escape_cells(document)
    return _view().render(document, index_href=f"../{INDEX}", run_id=run_id)


def render_index(run_id: str, records: list[dict[str, Any]]) -> str:
    """The run's index: each table and check, its status, and a link to its page."""
    import great_expectations as gx

    records = sorted(records, key=lambda r: (r["relation"], r["check"]))
    return _view().env.get_template("index.j2").render(run_id=run_id, records=records, ge_version=gx.__version__)


@functools.cache
def _view() -> Any:
    """GX's page view, its templates overridden by the project's where they name a file (loaded once
    per process: compiling GX's templates costs more than rendering a page)."""
    from great_expectations.render.view import DefaultJinjaPageView
    from jinja2 import ChoiceLoader, FileSystemLoader

    view = DefaultJinjaPageView()
    view.env.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), view.env.loader])
    return view


def _samples(outcome: Outcome) -> Any:
    """A section, first after the overview, with each failed rule's sample of offending rows, whole and
    named by the table's grain: GX's own sections show a column rule's unexpected values and counts,
    and a query rule's count alone."""
    from great_expectations.render import RenderedSectionContent, RenderedStringTemplateContent, RenderedTableContent

    blocks = []
    for finding in outcome.failures:
        if not finding.sample:
            continue
        columns = list(dict.fromkeys(column for row in finding.sample for column in row))
        blocks.append(RenderedTableContent(
            content_block_type="table",
            header=RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": "$description", "params": {"description": finding.describe()},
                                 "tag": "h6", "styling": {"classes": ["text-danger", "mt-3"]}},
            ),
            header_row=columns,
            table=[["NULL" if row.get(c) is None else str(row.get(c)) for c in columns] for row in finding.sample],
            styling={"classes": ["col-12", "table-responsive"],
                     "body": {"classes": ["table", "table-sm", "table-bordered"]}},
        ))
    return RenderedSectionContent(section_name="Offending rows", content_blocks=blocks) if blocks else None


def _escape_cells(document: Any) -> None:
    """HTML-escape the plain-text cells of every table in the document. GX escapes the values it puts
    in a string template, but writes a table's plain cells, such as the unexpected values it samples
    from the data (a vendor's campaign name, say), into the page as markup."""
    from great_expectations.render import RenderedContent, RenderedTableContent

    seen: set[int] = set()  # GX reuses a block in two places: escape it once

    def escaped(cell: Any) -> Any:
        if isinstance(cell, str):
            return html.escape(cell, quote=False)
        if isinstance(cell, list):
            return [escaped(item) for item in cell]
        visit(cell)
        return cell

    def visit(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, RenderedTableContent):
            node.table = [escaped(row) for row in node.table]
            if node.header_row:
                node.header_row = escaped(node.header_row)
        children = (vars(node).values() if isinstance(node, RenderedContent)
                    else node.values() if isinstance(node, dict) else node if isinstance(node, list) else ())
        for child in children:
            if isinstance(child, (RenderedContent, dict, list)):
                visit(child)

    visit(document)


def _unlink_suite(document: Any) -> None:
    """GX's overview links the suite's name to the suite's page in a GX site (`../../../../expectations/
    <suite>.html`), which these docs do not have: the name stays, as text."""
    for section in document.sections:
        for block in section.content_blocks:
            template = getattr(getattr(block, "subheader", None), "string_template", None)
            if isinstance(template, dict) and "expectation_suite_name" in template.get("params", {}):
                template.get("styling", {}).get("params", {}).pop("expectation_suite_name", None)


def _name(text: str) -> str:
    """A file name from a run id, a check's or a table's name, which never leaves its folder."""
    return _UNSAFE.sub("_", text).lstrip(".") or "_"


def _write_atomically(path: Path, text: str) -> None:
    """Readers (a browser, another check rebuilding the index) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
