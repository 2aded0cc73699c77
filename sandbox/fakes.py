"""Which fakes there are: each registered source names its fake module in its spec (`fake=`), and
that module exports a `FAKE`; shared fakes come along with the fakes that require them.

Imported lazily, like the specs: connectors never import the sandbox, so the sandbox finds them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache

from sandbox.core import Fake


def for_sources(names: Iterable[str] | None = None) -> tuple[Fake, ...]:
    """The fakes of these sources (default: every registered source), each after what it requires."""
    from connectors.registry import specs

    known = specs()
    chosen = list(known) if names is None else list(names)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValueError(f"no source named {', '.join(unknown)}; known: {', '.join(known)}")
    found: dict[str, Fake] = {}

    def add(fake: Fake) -> None:
        for shared in fake.requires:
            add(shared)
        found.setdefault(fake.vendor, fake)

    for name in chosen:
        fake = getattr(importlib.import_module(known[name].fake), "FAKE", None)
        if not isinstance(fake, Fake) or fake.vendor != name:
            raise ValueError(f"{known[name].fake} must export FAKE, a Fake for vendor {name!r}")
        add(fake)
    return tuple(found.values())


@cache
def registered() -> tuple[Fake, ...]:
    """Every registered source's fake and the shared ones, in registry order."""
    return for_sources()
