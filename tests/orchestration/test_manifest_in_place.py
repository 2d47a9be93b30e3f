"""A dbt parse replaces the manifest whole: a process loading the definitions meanwhile never reads
half of one (seen when `dagster asset materialize` started while `pwh demo` parsed for its home)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from orchestration.defs.transform.project import _parse, ensure_manifest

pytestmark = pytest.mark.slow


def test_a_reader_finds_the_old_manifest_or_the_new_one_whole_while_dbt_parses(tmp_path: Path) -> None:
    manifest = ensure_manifest()
    before = os.stat(manifest)
    stop = threading.Event()
    seen: set[tuple[int, int]] = set()

    def watch() -> None:
        # What a reader opening the file at any moment would get: its inode and its length.
        while not stop.is_set():
            try:
                status = os.stat(manifest)
            except FileNotFoundError:
                seen.add((0, 0))
                continue
            seen.add((status.st_ino, status.st_size))

    watcher = threading.Thread(target=watch, name="manifest-watcher")
    watcher.start()
    try:
        # Another home: dbt's profile changes, so it parses the whole project and writes every
        # file of the target folder again.
        _parse({"PWH_HOME": str(tmp_path / "home")})
    finally:
        stop.set()
        watcher.join()
    after = os.stat(manifest)
    assert after.st_ino != before.st_ino, "the manifest was rewritten where it stands"
    assert seen <= {(before.st_ino, before.st_size), (after.st_ino, after.st_size)}, sorted(seen)
    assert json.loads(manifest.read_text())["nodes"]
    assert not list(manifest.parent.glob("pwh-parse-*")), "the scratch folder is gone"
