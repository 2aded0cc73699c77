"""Schema drift: a table's columns in the warehouse against the columns its declaration says.

Raw tables evolve as dlt lets them (a vendor's new field becomes a new column), so drift there is a
warning. A published mart's contract is frozen: a candidate whose columns or types differ from it
would change what BI reads, and blocks its publication.
"""

from __future__ import annotations

from collections.abc import Sequence

from quality.runner import Finding
from warehouse import types
from warehouse.engine import Column

RULE = "schema"


def drift(actual: Sequence[Column], declared: Sequence[tuple[str, str]], ignored: Sequence[str] = ()) -> Finding | None:
    """A finding listing each column added, dropped or retyped against `declared` (name, type), or None."""
    found = {c.name: c.type for c in actual if c.name not in ignored}
    wanted = dict(declared)
    changes = [{"column": name, "change": "dropped", "declared": kind, "actual": None}
               for name, kind in wanted.items() if name not in found]
    changes += [{"column": name, "change": "added", "declared": None, "actual": kind}
                for name, kind in found.items() if name not in wanted]
    changes += [{"column": name, "change": "retyped", "declared": kind, "actual": found[name]}
                for name, kind in wanted.items() if name in found and not types.catalog_matches(kind, found[name])]
    if not changes:
        return None
    summary = ", ".join(f"{c['column']} {c['change']}" for c in changes)
    return Finding("schema_drift", None, len(changes), summary, tuple(changes), None, RULE)
