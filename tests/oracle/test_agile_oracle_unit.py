"""The agile oracle's rules on hand-made cases (docs/kpis.md "Releases" and "Sprints")."""

from __future__ import annotations

from datetime import date

from oracle.agile_oracle import (
    FOREVER_MS,
    agile_ms,
    first_done_ms,
    is_released_as_of,
    membership_periods,
    quarter_start,
    release_risk,
    sprint_field_id,
    sprint_issue_state,
    sprint_window,
)

AS_OF = date(2026, 3, 18)
DAY = 86_400_000


def test_a_release_shipped_after_the_as_of_date_was_still_open_then() -> None:
    assert is_released_as_of(True, date(2026, 3, 18), AS_OF, True)
    assert not is_released_as_of(True, date(2026, 3, 19), AS_OF, True)
    assert is_released_as_of(True, None, AS_OF, True)
    assert not is_released_as_of(False, date(2026, 1, 1), AS_OF, True)


def test_a_release_shipped_late_keeps_its_planned_date_but_was_open_while_its_scope_was_not_done() -> None:
    # released now, planned for 2026-03-01 (Jira keeps that date), scope not all done on 2026-03-18
    assert not is_released_as_of(True, date(2026, 3, 1), AS_OF, False)
    assert not is_released_as_of(True, None, AS_OF, False)
    # then open: 17 days late with 8 points left is at risk whatever the pace
    assert release_risk(
        is_open=True, release_date=date(2026, 3, 1), remaining_points=8.0, throughput_per_day=5.0, as_of=AS_OF
    )


def test_throughput_counts_the_first_entry_into_done_not_the_resolution() -> None:
    category = {"1": "new", "2": "indeterminate", "3": "done", "4": "done"}
    # to do -> in progress -> done at 300: done at 300
    assert first_done_ms(100, "3", [(200, "1", "2"), (300, "2", "3")], category) == 300
    # done at 300, reopened at 400, done again at 500: the first entry counts
    assert first_done_ms(100, "3", [(300, "2", "3"), (400, "3", "2"), (500, "2", "4")], category) == 300
    # never changed, created done: done since its creation; created open: never done
    assert first_done_ms(100, "3", [], category) == 100
    assert first_done_ms(100, "2", [], category) is None
    # a done status held for no time (left at the same instant) is not an entry
    assert first_done_ms(100, "2", [(300, "2", "3"), (300, "3", "2")], category) is None


def test_release_risk_compares_remaining_points_with_the_pace_times_days_left() -> None:
    def risk(**kwargs):
        base = {"is_open": True, "release_date": date(2026, 3, 28), "remaining_points": 10.0}
        return release_risk(**{**base, **kwargs}, throughput_per_day=1.0, as_of=AS_OF)

    assert risk() is False  # 10 left, 10 days at 1 a day: just makes it
    assert risk(remaining_points=10.5) is True
    assert risk(release_date=date(2026, 3, 10), remaining_points=0.5) is True  # late, points left
    assert risk(release_date=date(2026, 3, 10), remaining_points=0.0) is False
    assert risk(release_date=None) is None  # no date: cannot be judged
    assert risk(is_open=False, remaining_points=99.0) is False  # released or archived


def test_membership_starts_from_the_first_change_or_from_the_field() -> None:
    changes = [(10, set(), {"1"}), (20, {"1"}, {"1", "2"}), (30, {"1", "2"}, {"2"})]
    assert membership_periods(5, ["2"], changes) == [
        (5, 10, frozenset()),
        (10, 20, frozenset({"1"})),
        (20, 30, frozenset({"1", "2"})),
        (30, FOREVER_MS, frozenset({"2"})),
    ]
    # never changed: the field as it is now, since creation
    assert membership_periods(5, ["7"], []) == [(5, FOREVER_MS, frozenset({"7"}))]
    # created into a sprint whose first change came later: the change's "before" set from creation
    assert membership_periods(5, ["8"], [(9, {"7"}, {"7", "8"})])[0] == (5, 9, frozenset({"7"}))


def test_committed_added_removed_and_carried_over_are_read_just_before_their_moments() -> None:
    start, end = 100, 200
    committed = [(50, FOREVER_MS, frozenset({"s"}))]
    assert sprint_issue_state(committed, "s", start, end) == (True, True, True)
    removed = [(50, 150, frozenset({"s"})), (150, FOREVER_MS, frozenset())]
    assert sprint_issue_state(removed, "s", start, end) == (True, False, True)
    added = [(120, FOREVER_MS, frozenset({"s"}))]
    assert sprint_issue_state(added, "s", start, end) == (False, True, True)
    at_start = [(100, FOREVER_MS, frozenset({"s"}))]  # came in at the start instant: added
    assert sprint_issue_state(at_start, "s", start, end) == (False, True, True)
    at_end = [(200, FOREVER_MS, frozenset({"s"}))]  # came in at the end instant: never in it
    assert sprint_issue_state(at_end, "s", start, end) is None
    # carried over: the closed sprint stays in the field when the next one is added
    carried = [(50, 205, frozenset({"s"})), (205, FOREVER_MS, frozenset({"s", "t"}))]
    assert sprint_issue_state(carried, "s", start, end) == (True, True, True)
    assert sprint_issue_state(carried, "t", 210, 300) == (True, True, True)
    added_and_removed = [(120, 150, frozenset({"s"})), (150, FOREVER_MS, frozenset())]
    assert sprint_issue_state(added_and_removed, "s", start, end) == (False, False, True)


def test_a_sprint_is_judged_at_its_completion_or_at_the_end_of_the_as_of_day() -> None:
    as_of_end = 1_000
    assert sprint_window("future", 10, 500, None, as_of_end) is None  # never started, whatever its dates
    assert sprint_window("active", 1_000, 2_000, None, as_of_end) is None  # starts at the end of the day
    assert sprint_window("active", 10, 500, None, as_of_end) == (False, None, 1_000)
    assert sprint_window("closed", 10, 500, 600, as_of_end) == (True, 600, 600)
    assert sprint_window("closed", 10, 500, None, as_of_end) == (True, 500, 500)  # no completion date
    assert sprint_window("closed", 10, 900, 1_200, as_of_end) == (False, None, 1_000)  # completed later
    # closed with no completion and no end date: cannot be placed, not complete (False, not None)
    assert sprint_window("closed", 10, None, None, as_of_end) == (False, None, 1_000)
    # active or closed without a start date: left out
    assert sprint_window("active", None, 500, None, as_of_end) is None
    assert sprint_window("closed", None, 500, 600, as_of_end) is None


def test_the_sprint_field_is_found_by_its_type_and_by_name_only_without_one() -> None:
    text = {
        "id": "customfield_5",
        "name": "Sprint",
        "schema": {"custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"},
    }
    renamed = {"id": "customfield_7", "name": "Iteration", "schema": {"custom": "com.pyxis.greenhopper.jira:gh-sprint"}}
    assert sprint_field_id([text, renamed]) == "customfield_7"
    assert sprint_field_id([text]) == "customfield_5"
    assert sprint_field_id([]) is None


def test_dates_and_quarters() -> None:
    assert agile_ms("1970-01-02T00:00:00.000Z") == DAY
    assert agile_ms("1970-01-02T02:00:00.000+02:00") == DAY
    assert agile_ms("") is None
    assert quarter_start(date(2026, 6, 30)) == date(2026, 4, 1)
    assert quarter_start(date(2026, 1, 1)) == date(2026, 1, 1)
