"""Checks on the raw landing, built from the quality/ suites.

Per raw entity:
- `valid` (blocking, ERROR): the entity's great-expectations suites on every row landed since it
  last passed that is still the current version of its key (quality/raw_scope.py). A failure holds
  back the dbt core step, hence every KPI mart: they keep their last good version.
- `fresh` (WARN): the newest landed batch is at most 26 hours old. A source that is not configured
  stops landing and turns stale here, instead of silently looking fine.
On finance/finance_rejects, `rejects_count` (WARN) reports how many rows were quarantined. The
blocking rule on rejects (no file in force with more than 5 % of its rows rejected) is a dbt test
on int_finance_files, because only the warehouse knows which files a newer one superseded.

Every outcome is appended to the check-results log, so `kpi_data_quality` shows it.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg

from connectors.finance import FINANCE_ENTITIES
from connectors.jira import JIRA_ENTITIES
from connectors.landing import RawLanding
from connectors.servicenow import SERVICENOW_TABLES
from orchestration.defs.ingest.landing_assets import raw_key
from orchestration.defs.quality.run_identity import RunIdentity, run_identity
from orchestration.defs.resources import WarehouseResource
from quality import get_suite, raw_suite_names, run_suite
from quality.finance_params import fx_currencies
from quality.freshness import FRESHNESS_WINDOW, entity_freshness
from quality.raw_scope import mark_validated, pending_rows, read_validated
from quality.results import (
    CheckRow,
    ensure_results_folder,
    to_check_rows,
    write_check_rows,
)

RAW_ENTITIES: tuple[tuple[str, str], ...] = (
    *(("jira", e) for e in JIRA_ENTITIES),
    *(("servicenow", t) for t in SERVICENOW_TABLES),
    *(("finance", e) for e in FINANCE_ENTITIES),
)
VALID, FRESH, REJECTS = "valid", "fresh", "rejects_count"
REJECT_COUNT_SUITE = "raw_finance_reject_count"


def _specs() -> list[dg.AssetCheckSpec]:
    specs: list[dg.AssetCheckSpec] = []
    for source, entity in RAW_ENTITIES:
        key = raw_key(source, entity)
        suites = [n for n in raw_suite_names(source, entity) if n != REJECT_COUNT_SUITE]
        specs.append(
            dg.AssetCheckSpec(
                VALID,
                asset=key,
                blocking=True,
                description="Blocking: " + " ".join(get_suite(n).info.description for n in suites),
            )
        )
        specs.append(
            dg.AssetCheckSpec(
                FRESH,
                asset=key,
                description=f"The newest landed batch is at most {FRESHNESS_WINDOW / timedelta(hours=1):g} hours old.",
            )
        )
    specs.append(
        dg.AssetCheckSpec(
            REJECTS,
            asset=raw_key("finance", "finance_rejects"),
            description=(
                "Warning: how many finance export rows were quarantined (file, line, reason in finance_rejects)."
            ),
        )
    )
    return specs


@dg.multi_asset_check(
    name="raw_quality_checks",
    specs=_specs(),
    can_subset=True,
    description="great-expectations suites on the raw landing; failures block the KPI marts.",
)
def raw_quality_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    paths = warehouse.paths
    ensure_results_folder(paths.quality)
    run = run_identity(context)
    rows: list[CheckRow] = []
    selected = {(k.asset_key.path[1], k.asset_key.path[2], k.name) for k in context.selected_asset_check_keys}
    fx: dict[str, set[str]] = {}
    try:
        for source, entity in RAW_ENTITIES:
            if (source, entity, VALID) in selected:
                yield _validate(context, warehouse, source, entity, rows, run, fx)
            if (source, entity, FRESH) in selected:
                yield _freshness(RawLanding(paths.raw), source, entity, rows, run)
        if ("finance", "finance_rejects", REJECTS) in selected:
            yield _reject_count(warehouse, rows, run)
    finally:
        write_check_rows(paths.quality, rows)


def _finance_params(warehouse: WarehouseResource, entity: str, fx: dict[str, set[str]]) -> dict[str, object]:
    """What the finance suites of ``entity`` need beyond its own rows, read only when they need it.

    ``fx`` caches the currencies with rates for the rest of the check run (two entities use them).
    """
    params: dict[str, object] = {"reporting_currency": warehouse.currency()}
    if entity in ("gl_actuals", "forecast"):
        if "currencies" not in fx:
            fx["currencies"] = fx_currencies(RawLanding(warehouse.paths.raw).batch_files("finance", "fx_rates"))
        params["fx_currencies"] = fx["currencies"]
    return params


def _validate(
    context: dg.AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    source: str,
    entity: str,
    rows: list[CheckRow],
    run: RunIdentity,
    fx: dict[str, set[str]],
) -> dg.AssetCheckResult:
    quality_root = warehouse.paths.quality
    landing = RawLanding(warehouse.paths.raw)
    params = _finance_params(warehouse, entity, fx) if source == "finance" else {}
    suites = [n for n in raw_suite_names(source, entity) if n != REJECT_COUNT_SUITE]
    now = datetime.now(UTC)
    failures: list[str] = []
    failing_rows = rows_checked = 0
    samples: list[dict[str, object]] = []
    # Each instance of the source (a further Jira site or ServiceNow instance) is its own change log,
    # validated on its own.
    for folder in landing.instances(source):
        target = f"{folder}/{entity}"
        frame, newest = pending_rows(landing, folder, entity, read_validated(quality_root, target))
        rows_checked += len(frame)
        failed_here: list[str] = []
        for name in suites:
            result = run_suite(name, frame, params=params)
            rows.extend(to_check_rows(result, "raw", target, "error", run.run_id, now, run_started_at=run.started_at))
            if not result.passed:
                failing_rows += result.failing_rows
                failed = [f"{o.name} ({o.failing_rows} rows)" for o in result.outcomes if not o.passed]
                failed_here.extend(failed or [result.error or name])
                samples.extend(result.sample)
        if not failed_here and newest is not None:
            mark_validated(quality_root, target, newest)
        elif failed_here:
            context.log.error(f"raw/{target} failed: {'; '.join(failed_here)} — KPI marts keep their last good version")
            failures.append(f"{target}: {'; '.join(failed_here)}")
    passed = not failures
    return dg.AssetCheckResult(
        check_name=VALID,
        asset_key=raw_key(source, entity),
        passed=passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if passed else " | ".join(failures),
        metadata={
            "rows_checked": rows_checked,
            "failing_rows": failing_rows,
            "failures": dg.MetadataValue.json(failures),
            "sample": dg.MetadataValue.json(samples[:5]),
        },
    )


def _freshness(
    landing: RawLanding, source: str, entity: str, rows: list[CheckRow], run: RunIdentity
) -> dg.AssetCheckResult:
    now = datetime.now(UTC)
    outcomes = []
    for folder in landing.instances(source):
        fresh = entity_freshness(landing, folder, entity, now)
        outcomes.append(fresh)
        rows.append(
            CheckRow(
                now,
                run.run_id,
                "raw",
                f"{folder}/{entity}",
                FRESH,
                "warn",
                fresh.passed,
                0 if fresh.passed else 1,
                fresh.detail,
                run.started_at,
            )
        )
    # The entity is as fresh as its stalest instance; an instance that never landed anything
    # while another did is not one (the site of JIRA_URL when only JIRA_SITES' are configured, the
    # instance of SERVICENOW_URL when only SERVICENOW_INSTANCES' are).
    if any(o.age_hours is not None for o in outcomes):
        outcomes = [o for o in outcomes if o.age_hours is not None]
    stalest = next((o for o in outcomes if not o.passed), outcomes[0])
    ages = [o.age_hours for o in outcomes if o.age_hours is not None]
    details = [o.detail for o in outcomes if not o.passed] or [stalest.detail]
    return dg.AssetCheckResult(
        check_name=FRESH,
        asset_key=raw_key(source, entity),
        passed=all(o.passed for o in outcomes),
        severity=dg.AssetCheckSeverity.WARN,
        description=" | ".join(details),
        metadata={"age_hours": round(max(ages), 2) if len(ages) == len(outcomes) else -1.0},
    )


def _reject_count(warehouse: WarehouseResource, rows: list[CheckRow], run: RunIdentity) -> dg.AssetCheckResult:
    batches = RawLanding(warehouse.paths.raw).batch_files("finance", "finance_rejects")
    result = run_suite(REJECT_COUNT_SUITE, batches)
    rows.extend(
        to_check_rows(
            result,
            "raw",
            "finance/finance_rejects",
            "warn",
            run.run_id,
            datetime.now(UTC),
            run_started_at=run.started_at,
        )
    )
    return dg.AssetCheckResult(
        check_name=REJECTS,
        asset_key=raw_key("finance", "finance_rejects"),
        passed=result.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{result.failing_rows} finance rows quarantined" if not result.passed else "no rejected rows",
        metadata={"rejected_rows": result.failing_rows, "sample": dg.MetadataValue.json(result.sample)},
    )
