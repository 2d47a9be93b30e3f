"""World sizes: how many of everything the generator makes for each named scale."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """The knobs of one world size. Ranges are (low, high), drawn per project or per month."""

    name: str
    portfolios: int
    programs_per_portfolio: tuple[int, int]
    projects: int
    people: int
    departments: int
    vendors: int
    history_months: int
    team_size: tuple[int, int]
    # (share of capacity, weight): how much of a delivery person a project asks for.
    allocation_shares: tuple[tuple[float, int], ...]
    # Jira issues created per active month of a Jira project.
    issues_per_month: tuple[int, int]
    # Mean worklogs on an issue that reached In Progress.
    worklogs_per_started_issue: float
    # GL lines per project and month of execution.
    gl_lines_per_month: tuple[int, int]
    unmatched_jira_projects: int


SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        portfolios=3,
        programs_per_portfolio=(2, 3),
        projects=25,
        people=60,
        departments=6,
        vendors=15,
        history_months=18,
        team_size=(8, 12),
        allocation_shares=((0.2, 2), (0.4, 3), (0.5, 3), (0.6, 2), (0.8, 3), (1.0, 4)),
        issues_per_month=(20, 30),
        worklogs_per_started_issue=2.5,
        gl_lines_per_month=(2, 5),
        unmatched_jira_projects=1,
    ),
    "medium": Scale(
        name="medium",
        portfolios=12,
        programs_per_portfolio=(2, 5),
        projects=250,
        people=1000,
        departments=24,
        vendors=120,
        history_months=18,
        team_size=(11, 17),
        allocation_shares=((0.2, 2), (0.4, 3), (0.5, 3), (0.6, 2), (0.8, 3), (1.0, 4)),
        issues_per_month=(25, 40),
        worklogs_per_started_issue=3.5,
        gl_lines_per_month=(3, 8),
        unmatched_jira_projects=2,
    ),
    "large": Scale(
        name="large",
        portfolios=60,
        programs_per_portfolio=(3, 6),
        projects=2500,
        people=10000,
        departments=120,
        vendors=800,
        history_months=18,
        team_size=(20, 33),
        allocation_shares=((0.1, 1), (0.2, 2), (0.25, 3), (0.3, 3), (0.4, 3), (0.5, 2)),
        issues_per_month=(45, 65),
        worklogs_per_started_issue=5.2,
        gl_lines_per_month=(28, 48),
        unmatched_jira_projects=2,
    ),
}
