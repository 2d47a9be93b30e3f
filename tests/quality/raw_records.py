"""Source records as the APIs and the finance parser land them, with overridable fields."""

from __future__ import annotations

from typing import Any


def time_card(n: int, **overrides: str) -> dict[str, str]:
    """A time card as the ServiceNow Table API returns it (every value a string)."""
    card = {
        "sys_id": f"tc{n:05d}",
        "sys_created_on": "2026-06-01 08:00:00",
        "sys_updated_on": "2026-06-02 10:00:00",
        "user": "u0001",
        "task": "p0001",
        "week_starts_on": "2026-06-01",
        "monday": "8",
        "tuesday": "7.5",
        "wednesday": "8",
        "thursday": "8",
        "friday": "6",
        "saturday": "0",
        "sunday": "0",
        "total": "37.5",
        "state": "approved",
        "category": "task",
    }
    card.update(overrides)
    return card


def pm_project(n: int, **overrides: str) -> dict[str, str]:
    project = {
        "sys_id": f"p{n:04d}",
        "sys_created_on": "2025-01-10 09:00:00",
        "sys_updated_on": "2026-06-01 12:00:00",
        "number": f"PRJ{n:07d}",
        "short_description": f"Project {n}",
        "state": "2",
        "phase": "executing",
        "start_date": "2025-02-01 08:00:00",
        "end_date": "2026-12-31 17:00:00",
        "work_start": "2025-02-03 08:00:00",
        "work_end": "",
        "percent_complete": "40",
        "cost": "250000.00",
        "work_cost": "90000.50",
        "u_jira_project_key": "MOB",
        "u_wbs_code": f"WBS-{n:04d}",
        "u_strategic_alignment": "8",
        "u_business_value": "7",
        "u_time_criticality": "5",
        "u_risk_reduction": "3",
        "u_job_size": "5",
    }
    project.update(overrides)
    return project


def jira_issue(n: int, **fields: Any) -> dict[str, Any]:
    body = {
        "summary": f"Issue {n}",
        "status": {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "project": {"id": "10000", "key": "MOB"},
        "created": "2026-05-01T09:15:00.000-0700",
        "updated": "2026-06-01T10:00:00.123+0200",
        "resolutiondate": None,
        "duedate": "2026-07-01",
        "timespent": 7200,
        "timeoriginalestimate": None,
    }
    body.update(fields)
    return {"id": str(10000 + n), "key": f"MOB-{n}", "fields": body}


def gl_line(n: int, file_sha: str = "a" * 64, **overrides: str) -> dict[str, str]:
    line = {
        "company_code": "1000",
        "fiscal_year": "2026",
        "fiscal_period": "5",
        "posting_date": "2026-05-14",
        "document_number": f"51000{n:04d}",
        "line_number": "1",
        "gl_account": "640000",
        "cost_center": "CC100",
        "wbs_code": "WBS-0001",
        "vendor_id": "V100",
        "vendor_name": "Contoso",
        "expense_type": "OPEX",
        "amount": "-1250.40",
        "currency": "EUR",
        "description": "licences",
        "file_name": "gl_actuals_2026_05.csv",
        "file_sha256": file_sha,
        "file_modified_at": "2026-06-01T06:00:00+00:00",
        "line": str(n + 2),
    }
    line.update(overrides)
    line["natural_key"] = f"{line['file_sha256']}:{line['line']}"
    return line


def forecast_line(n: int, file_sha: str = "f" * 64, **overrides: str) -> dict[str, str]:
    line = {
        "fiscal_year": "2026",
        "version": "2026-05",
        "wbs_code": "WBS-0001",
        "cost_center": "CC100",
        "expense_type": "CAPEX",
        "currency": "EUR",
        **{f"P{month:02d}": "100.00" for month in range(6, 13)},
        "file_name": "forecast_2026-05.csv",
        "file_sha256": file_sha,
        "file_modified_at": "2026-06-03T06:00:00+00:00",
        "line": str(n + 1),
    }
    line.update(overrides)
    line["natural_key"] = f"{line['file_sha256']}:{line['line']}"
    return line


def reject(file_sha: str, line: int, file_name: str) -> dict[str, str]:
    return {
        "file_name": file_name,
        "file_sha256": file_sha,
        "file_modified_at": "2026-06-01T06:00:00+00:00",
        "line": str(line),
        "raw_text": "1000;2026;05;??",
        "reason": "amount is not a number",
        "natural_key": f"{file_sha}:{line}",
    }
