"""Raw suites on real batch files written by the landing's BatchWriter, good and deliberately bad."""

from __future__ import annotations

import json

import pytest
from raw_records import forecast_line, gl_line, jira_issue, pm_project, reject, time_card

from quality import run_suite

pytestmark = pytest.mark.slow


def failed(result) -> dict[str, int]:
    """Failing expectations of a result, by name, with their failing row counts."""
    return {o.name: o.failing_rows for o in result.outcomes if not o.passed}


def test_clean_time_cards_pass_with_tombstones_skipped(write_batch):
    files = write_batch("servicenow", "time_card", [time_card(n) for n in range(20)], deleted=["tc99999"])

    result = run_suite("raw_servicenow_time_card", files)

    assert result.error is None
    assert failed(result) == {}
    assert result.passed and result.failing_rows == 0 and result.sample == []
    assert result.evaluated_rows == 21


def test_thirty_hours_on_a_day_fails_that_day_only(write_batch):
    cards = [time_card(n) for n in range(10)] + [time_card(10, wednesday="30", total="59.5")]
    files = write_batch("servicenow", "time_card", cards)

    result = run_suite("raw_servicenow_time_card", files)

    assert not result.passed
    assert failed(result) == {"wednesday_in_range": 1}
    assert result.failing_rows == 1
    assert result.sample[0]["natural_key"] == "tc00010"
    assert result.sample[0]["wednesday"] == "30"
    assert "wednesday is between 0 and 24: 1 of 11 rows fail, e.g. '30'" in {o.detail for o in result.outcomes}


def test_hours_that_are_not_numbers_fail_as_not_numeric(write_batch):
    files = write_batch("servicenow", "time_card", [time_card(0), time_card(1, friday="eight")])

    result = run_suite("raw_servicenow_time_card", files)

    assert failed(result) == {"friday_is_numeric": 1}


def test_duplicated_key_within_a_batch_fails_but_across_batches_is_allowed(write_batch):
    first = write_batch(
        "servicenow", "pm_project", [pm_project(1), pm_project(2), pm_project(1, percent_complete="45")]
    )
    second = write_batch("servicenow", "pm_project", [pm_project(2, percent_complete="50")])

    duplicated = run_suite("raw_servicenow_pm_project", first)
    across = run_suite("raw_servicenow_pm_project", second)
    both = run_suite("raw_servicenow_pm_project", [*first, *second])

    assert failed(duplicated) == {"natural_key_unique_in_batch": 2}
    assert duplicated.failing_rows == 2
    assert {row["natural_key"] for row in duplicated.sample} == {"p0001"}
    assert across.passed
    # Key p0002 is in both batches, once each: that is an update, not a duplicate.
    assert failed(both) == {"natural_key_unique_in_batch": 2}
    assert {row["natural_key"] for row in both.sample} == {"p0001"}


def test_unknown_state_code_fails(write_batch):
    files = write_batch("servicenow", "pm_project", [pm_project(1), pm_project(2, state="9")])

    result = run_suite("raw_servicenow_pm_project", files)

    assert failed(result) == {"state_known_value": 1}
    assert result.sample == [result.sample[0]] and result.sample[0]["state"] == "9"


def test_unparseable_servicenow_timestamp_fails(write_batch):
    files = write_batch(
        "servicenow",
        "pm_project",
        [pm_project(1), pm_project(2, sys_updated_on="2026-13-01 10:00:00"), pm_project(3, end_date="31/12/2026")],
    )

    result = run_suite("raw_servicenow_pm_project", files)

    assert failed(result) == {"sys_updated_on_is_glide_date_time": 1, "end_date_is_glide_date_or_date_time": 1}
    assert result.failing_rows == 2


def test_missing_id_in_record_fails(write_batch):
    files = write_batch(
        "servicenow", "pm_project", [pm_project(1), {**pm_project(2), "sys_id": ""}], key_field="number"
    )

    result = run_suite("raw_servicenow_pm_project", files)

    assert failed(result) == {"sys_id_not_null": 1}


def test_jira_datetime_without_millis_and_offset_fails(write_batch):
    issues = [
        jira_issue(1),
        jira_issue(2, updated="2026-06-01T10:00:00Z"),
        jira_issue(3, resolutiondate="2026-06-01 10:00"),
    ]
    files = write_batch("jira", "issues", issues, key_field="id")

    result = run_suite("raw_jira_issues", files)

    assert failed(result) == {"fields.updated_is_jira_datetime": 1, "fields.resolutiondate_is_jira_datetime": 1}
    assert result.failing_rows == 2


def test_unknown_jira_status_category_fails(write_batch):
    odd = jira_issue(2, status={"id": "9", "name": "Parked", "statusCategory": {"key": "parked"}})
    files = write_batch("jira", "issues", [jira_issue(1), odd], key_field="id")

    result = run_suite("raw_jira_issues", files)

    assert failed(result) == {"fields.status.statusCategory.key_known_value": 1}


def test_jira_issue_batch_needs_source_updated_at(write_batch):
    files = write_batch("jira", "issues", [jira_issue(1)], key_field="id", updated=None)

    result = run_suite("raw_jira_issues", files)

    assert failed(result) == {"source_updated_at_not_null": 1}


def test_gl_currency_must_be_iso_but_a_missing_rate_does_not_block(write_batch):
    lines = [gl_line(1), gl_line(2, currency="USD"), gl_line(3, currency="CHF"), gl_line(4, currency="eur")]
    files = write_batch("finance", "gl_actuals", lines, key_field="natural_key")

    with_rates = run_suite(
        "raw_finance_gl_actuals", files, params={"fx_currencies": {"EUR", "GBP"}, "reporting_currency": "USD"}
    )
    without = run_suite("raw_finance_gl_actuals", files)

    # 'eur' is not an ISO code. CHF is one without a rate: the warehouse rejects that line with
    # its reason (finance_rejects), the rest of the GL loads, nothing is blocked.
    assert failed(with_rates) == {"currency_is_iso_code": 1}
    assert failed(without) == {"currency_is_iso_code": 1}


def test_forecast_currency_without_fx_rate_fails_only_with_rates_given(write_batch):
    lines = [
        {**forecast_line(1), "currency": "EUR"},
        {**forecast_line(2), "currency": "USD"},
        {**forecast_line(3), "currency": "CHF"},
    ]
    files = write_batch("finance", "forecast", lines, key_field="natural_key")

    with_rates = run_suite(
        "raw_finance_forecast", files, params={"fx_currencies": {"EUR"}, "reporting_currency": "USD"}
    )
    without = run_suite("raw_finance_forecast", files)

    assert failed(with_rates) == {"currency_has_fx_rate": 1}
    assert failed(without) == {}


def test_gl_amount_must_be_a_number(write_batch):
    files = write_batch("finance", "gl_actuals", [gl_line(1), gl_line(2, amount="1.250,40")], key_field="natural_key")

    result = run_suite("raw_finance_gl_actuals", files)

    assert failed(result) == {"amount_is_numeric": 1}


def test_finance_rejects_are_counted_as_a_warning(write_batch):
    bad, good = "b" * 64, "c" * 64
    rejects = [reject(bad, line, "gl_actuals_bad.csv") for line in range(2, 12)]  # 10 rejected
    rejects += [reject(good, 7, "gl_actuals_good.csv")]
    files = write_batch("finance", "finance_rejects", rejects, key_field="natural_key")

    count = run_suite("raw_finance_reject_count", files)

    # The 5 % rule is the warehouse's (int_finance_files), which knows which files are in force.
    assert failed(count) == {"no_rejected_rows": 11}
    assert count.failing_rows == 11


def test_a_row_failing_twice_counts_once(write_batch):
    files = write_batch("servicenow", "time_card", [time_card(0, monday="25", state="lost"), time_card(1)])

    result = run_suite("raw_servicenow_time_card", files)

    assert failed(result) == {"monday_in_range": 1, "state_known_value": 1}
    assert result.failing_rows == 1


def test_sample_is_capped_at_five_rows(write_batch):
    files = write_batch("servicenow", "time_card", [time_card(n, state="lost") for n in range(8)])

    result = run_suite("raw_servicenow_time_card", files)

    assert result.failing_rows == 8
    assert [row["natural_key"] for row in result.sample] == [f"tc{n:05d}" for n in range(5)]


def test_results_are_deterministic(write_batch):
    files = write_batch("servicenow", "time_card", [time_card(n, monday=str(20 + n)) for n in range(9)])

    assert run_suite("raw_servicenow_time_card", files) == run_suite("raw_servicenow_time_card", files)


def test_an_empty_batch_passes(landing):
    landing.ensure_entity("servicenow", "risk")

    result = run_suite("raw_servicenow_risk", landing.batch_files("servicenow", "risk"))

    assert result.passed and result.evaluated_rows == 0 and result.error is None


def test_unreadable_batch_is_an_error_not_a_crash(tmp_path):
    broken = tmp_path / "batch-x.parquet"
    broken.write_text("not parquet")

    result = run_suite("raw_servicenow_risk", [broken])

    assert not result.passed
    assert result.error is not None and "could not prepare the data" in result.error


def test_a_raw_shaped_dataframe_is_flattened_like_a_batch(write_batch, landing):
    files = write_batch("servicenow", "time_card", [time_card(0), time_card(1, sunday="-1")])
    frame = landing.read("servicenow", "time_card").to_pandas()

    from_frame = run_suite("raw_servicenow_time_card", frame)

    assert from_frame == run_suite("raw_servicenow_time_card", files)
    assert failed(from_frame) == {"sunday_in_range": 1}


def test_samples_are_plain_json(write_batch):
    files = write_batch("jira", "issues", [jira_issue(1, updated="yesterday")], key_field="id")

    result = run_suite("raw_jira_issues", files)

    assert json.loads(json.dumps(result.sample)) == result.sample
    assert result.sample[0]["fields.updated"] == "yesterday"
