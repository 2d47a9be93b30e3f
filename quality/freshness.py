"""Is a raw entity fresh: the one rule, asked by the raw checks (and anything else that wants it).

Judged by the load time of what actually landed, not by when an asset materialised: a source that
is not configured still materialises (with a warning) so the rest of the run goes on, and must
turn stale here instead of silently looking fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.landing import RawLanding

# A nightly sync plus two hours of slack.
FRESHNESS_WINDOW = timedelta(hours=26)


@dataclass(frozen=True)
class Freshness:
    passed: bool
    age: timedelta | None  # since the newest batch with rows landed; None: nothing landed yet
    detail: str

    @property
    def age_hours(self) -> float | None:
        return None if self.age is None else self.age.total_seconds() / 3600


def entity_freshness(
    landing: RawLanding, source: str, entity: str, now: datetime, window: timedelta = FRESHNESS_WINDOW
) -> Freshness:
    """Fresh when the entity's newest batch with rows landed within ``window`` of ``now``.

    An entity that has never landed a row is stale only if its source has landed something: an
    empty table (no baselines in this instance) is not a freshness problem.
    """
    newest = landing.newest_load(source, entity)
    if newest is None:
        source_dir = landing.root / source
        siblings = [p.name for p in source_dir.iterdir() if p.is_dir()] if source_dir.is_dir() else []
        source_loaded = any(landing.newest_load(source, other) for other in siblings)
        return Freshness(not source_loaded, None, "nothing landed yet")
    age = now - newest
    return Freshness(age <= window, age, f"newest batch loaded {age.total_seconds() / 3600:,.1f} h ago")
