"""The world's campaign catalogue restricted to given ad platforms, for tests that pin numbers or
compare before and after a platform: a new registered platform then changes neither."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sandbox.world import ads, crm
from sandbox.world.ads import AdPlatform


def forget() -> None:
    """What was derived from the registered platforms (memoized in the world's modules)."""
    for cached in (ads.paid_campaigns, ads._by_ids, ads._negative_campaigns, crm._currency_by_utm,
                   crm._contacts_for_day):
        cached.cache_clear()


@contextmanager
def only(*platforms: AdPlatform) -> Iterator[None]:
    forget()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ads, "platforms", lambda: platforms)
        try:
            yield
        finally:
            forget()
