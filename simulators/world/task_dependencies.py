"""Task dependencies (``planned_task_rel_planned_task``): the sequencing inside and across projects.

Inside a project each phase follows the one before it, finish-to-start. Across projects a few
projects wait on another's work: the successor's *Test* phase cannot start before the predecessor's
*Build* phase finishes (an interface, a platform, a data feed it needs), mostly inside one portfolio.
ServiceNow keeps the predecessor in ``parent`` and the successor in ``child`` (the Planned Task
Relationship form calls them Predecessor and Successor); ``sub_type`` is the dependency type.

Written once every project exists; drawn from its own stream, so it moves no other record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulators.world.projects import PHASES
from simulators.world.seeding import stream, sys_id
from simulators.world.store import INSERT_SN, RowBuffer, glide_datetime, sn_row
from simulators.world.timeline import Timeline

CROSS_PROJECT_SHARE = 0.35  # projects that wait on another project's work
SAME_PORTFOLIO_SHARE = 0.7


@dataclass(frozen=True)
class PlannedProject:
    """What the dependency writer needs of a project whose plan has phase tasks."""

    index: int
    portfolio: int
    planned_at: datetime  # when its tasks were created (approval)


def phase_task_id(seed: int, project_index: int, phase: str) -> str:
    """The sys_id the project generator gives a project's phase task."""
    return sys_id(seed, "pm_project_task", f"{project_index}|{phase}")


def write_task_dependencies(seed: int, projects: list[PlannedProject], timeline: Timeline, rows: RowBuffer) -> int:
    """Write the phase-to-phase relations of every planned project and the cross-project ones."""
    rng = stream(seed, "task-dependencies")
    latest = timeline.latest
    written = 0

    def relation(key: str, parent: str, child: str, created: datetime) -> None:
        nonlocal written
        body = {
            "sys_id": sys_id(seed, "planned_task_rel_planned_task", key),
            "parent": parent,
            "child": child,
            "sub_type": "fs",
            "sys_created_on": glide_datetime(created),
            "sys_updated_on": glide_datetime(created),
        }
        rows.add(INSERT_SN, sn_row("planned_task_rel_planned_task", body))
        written += 1

    for project in projects:
        created = min(project.planned_at + timedelta(minutes=5), latest)
        for before, after in zip(PHASES, PHASES[1:], strict=False):
            relation(
                f"{project.index}|{before}>{after}",
                phase_task_id(seed, project.index, before),
                phase_task_id(seed, project.index, after),
                created,
            )
    if len(projects) < 2:
        return written
    for project in projects:
        if rng.random() >= CROSS_PROJECT_SHARE:
            continue
        peers = [p for p in projects if p.portfolio == project.portfolio and p.index != project.index]
        others = [p for p in projects if p.index != project.index]
        pool = peers if peers and rng.random() < SAME_PORTFOLIO_SHARE else others
        upstream = pool[rng.randrange(len(pool))]
        planned_at = max(project.planned_at, upstream.planned_at)
        if planned_at > latest:
            continue
        created = min(planned_at + timedelta(days=rng.randint(1, 30), seconds=rng.randint(0, 30000)), latest)
        relation(
            f"{upstream.index}|Build>{project.index}|Test",
            phase_task_id(seed, upstream.index, "Build"),
            phase_task_id(seed, project.index, "Test"),
            created,
        )
    return written
