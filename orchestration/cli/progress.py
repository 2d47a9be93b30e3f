"""Progress lines for `pwh run` / `pwh demo`: which step, which asset, how many records."""

from __future__ import annotations

from typing import TextIO

import dagster as dg
from dagster import DagsterEventType

from orchestration.defs.transform.build_stamps import UNCHANGED_SINCE_RUN
from orchestration.runner import one_line


class ProgressPrinter:
    """Turns a run's event log into a few readable lines (the full log is in `pwh ui`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.models: dict[str, int] = {}
        self.unchanged: dict[str, int] = {}

    def __call__(self, entry: dg.EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None:
            # context.log messages from our assets: progress and warnings. Dagster's own notes on
            # steps it skipped ("Dependencies for step ... failed") repeat what STEP_SKIPPED says.
            message = entry.user_message
            if message.startswith("Dependencies for step"):
                return
            if entry.level >= 40:
                self._say(f"  ✗ {message}")
            elif entry.level >= 30:
                self._say(f"  ! {message}")
            elif "records so far" in message:
                self._say(f"  {message}")
            return
        kind = event.event_type
        if kind == DagsterEventType.STEP_START:
            self._say(f"▶ {event.step_key}")
        elif kind == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization
            key = materialization.asset_key.to_user_string()
            meta = materialization.metadata
            if key.startswith("raw/"):
                if "skipped" in meta:
                    self._say(f"  – {key}: skipped")
                else:
                    records = _value(meta.get("records"))
                    tombstones = _value(meta.get("tombstones"))
                    retries = _value(meta.get("retries"))
                    extra = f", {tombstones:,} deleted" if tombstones else ""
                    extra += f", {retries} retries" if retries else ""
                    self._say(f"  ✓ {key}: {records:,} records{extra}")
            elif UNCHANGED_SINCE_RUN in meta:
                self.unchanged[event.step_key or ""] = self.unchanged.get(event.step_key or "", 0) + 1
            else:
                self.models[event.step_key or ""] = self.models.get(event.step_key or "", 0) + 1
        elif kind == DagsterEventType.STEP_SUCCESS:
            built = self.models.pop(event.step_key or "", 0)
            unchanged = self.unchanged.pop(event.step_key or "", 0)
            notes = [f"{built} tables"] if built else []
            notes += [f"{unchanged} tables unchanged: nothing new since their last build"] if unchanged else []
            note = f" ({'; '.join(notes)})" if notes else ""
            self._say(f"  done {event.step_key}{note}")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                blocking = evaluation.severity == dg.AssetCheckSeverity.ERROR
                mark, kind = ("✗", "blocking check") if blocking else ("!", "warning")
                found = one_line(evaluation.description) if evaluation.description else evaluation.check_name
                self._say(f"  {mark} {kind} on {evaluation.asset_key.to_user_string()}: {found}")
        elif kind == DagsterEventType.STEP_FAILURE:
            self._say(f"  ✗ {event.step_key} failed: {one_line(event.event_specific_data.error)}")
        elif kind == DagsterEventType.STEP_SKIPPED:
            self._say(f"  – {event.step_key} not run (an upstream step failed or a blocking check failed)")

    def _say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def _value(meta_value: object) -> int:
    value = getattr(meta_value, "value", meta_value)
    return int(value or 0)
