"""The generated enterprise and its clock: everything that writes or moves a world file.

``World`` (world.py) is the one object to use: generate or open a world file, read it, advance its
clock, write the finance exports. Behind it: ``generation`` (the whole world at once, from
``organisation``, ``projects``, ``staffing``, ``time_sheets``, ``task_dependencies``, ``jira_world``
and ``jira_static``, ``finance``), ``advance`` (one day later), ``bulk_import`` (worklogs sharing
one updated instant, as a migration leaves them), ``finance_exports`` and
``gl_exports`` (the CSV files finance drops), ``timeline``, ``scales`` and ``seeding``. ``store`` is
the file itself, its schema and conventions: the servers in ``simulators.api`` read it.

``World`` is imported on first use, so the servers can read the store without loading the
generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.world.world import SCALES, AdvanceSummary, World, entity_keys

__all__ = ["SCALES", "AdvanceSummary", "World", "entity_keys"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from simulators.world import world

        return getattr(world, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
