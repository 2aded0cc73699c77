"""Every runbook link an alert can carry lands on a section of docs/oncall.md."""

from __future__ import annotations

import re
from pathlib import Path

from alerts import RUNBOOK_ANCHORS, Kind
from alerts.settings import DEFAULT_RUNBOOK_URL, AlertSettings

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = ROOT / DEFAULT_RUNBOOK_URL


def anchors(markdown: str) -> set[str]:
    """The anchors GitHub (and most Markdown renderers) give headings: lower case, punctuation other
    than - and _ dropped, spaces as hyphens."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_every_alert_kind_links_to_a_section_of_the_runbook():
    sections = anchors(RUNBOOK.read_text())
    assert set(RUNBOOK_ANCHORS) == {kind.value for kind in Kind}
    for kind in Kind:
        link = AlertSettings().runbook(kind)
        path, anchor = link.split("#")
        assert (ROOT / path) == RUNBOOK
        assert anchor in sections, f"{link} has no section in {RUNBOOK.name}"


def test_the_runbooks_own_links_resolve_and_it_explains_accepting_a_restatement():
    text = RUNBOOK.read_text()
    sections = anchors(text)
    for anchor in re.findall(r"\]\(#([^)]+)\)", text):
        assert anchor in sections, anchor
    assert "accepting-a-restatement" in sections
    section = text.split("## Accepting a restatement", 1)[1]
    assert "funnelhouse run --start-date" in section and "thresholds are set in configuration" in section
    assert "TODO" not in text and "TBD" not in text
