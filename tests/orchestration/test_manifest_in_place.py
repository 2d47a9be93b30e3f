"""A dbt parse replaces the manifest whole: a process loading the definitions meanwhile never reads
half of one (seen when `dagster asset materialize` started while `pwh demo` parsed for its home).

The parse runs on a private copy of the dbt project, so the parses of the other tests' runs in the
shared dbt_project/target neither disturb it nor are disturbed by it.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from dagster_dbt import DbtProject

from orchestration.defs.transform import project

pytestmark = pytest.mark.slow


def test_a_reader_finds_the_old_manifest_or_the_new_one_whole_while_dbt_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared_manifest = project.ensure_manifest()
    copy = tmp_path / "dbt_project"
    shutil.copytree(project.DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    private = DbtProject(project_dir=copy, profiles_dir=copy)
    monkeypatch.setattr(project, "DBT_PROJECT_DIR", copy)
    monkeypatch.setattr(project, "dbt_project", private)
    manifest = private.manifest_path
    manifest.parent.mkdir(parents=True)
    shutil.copyfile(shared_manifest, manifest)  # the last parse, as a reader finds it
    killed = manifest.parent / "pwh-parse-killed"  # the scratch folder of a parse killed mid-way
    killed.mkdir()
    before = os.stat(manifest)
    stop = threading.Event()
    seen: set[tuple[int, int]] = set()

    def watch() -> None:
        # What a reader opening the file at any moment would get: its inode and its length.
        while not stop.is_set():
            try:
                status = os.stat(manifest)
                seen.add((status.st_ino, status.st_size))
            except FileNotFoundError:
                seen.add((0, 0))
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch, name="manifest-watcher")
    watcher.start()
    try:
        with project._parse_lock() as target:
            project._parse({"PWH_HOME": str(tmp_path / "home")}, target)
    finally:
        stop.set()
        watcher.join()
    after = os.stat(manifest)
    assert after.st_ino != before.st_ino, "the manifest was rewritten where it stands"
    assert seen <= {(before.st_ino, before.st_size), (after.st_ino, after.st_size)}, sorted(seen)
    assert json.loads(manifest.read_text())["nodes"]
    assert (manifest.parent / "dbt.log").exists(), "dbt's log of the parse is kept"
    assert not list(manifest.parent.glob("pwh-parse-*")), "no scratch folder is left, the killed one's included"
