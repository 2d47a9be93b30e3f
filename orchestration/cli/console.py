"""Keep the terminal readable: step processes write their logs to a file, pwh prints a summary.

Dagster steps and dbt run in child processes that inherit stdout and stderr. During a run the
file descriptors 1 and 2 point at `PWH_HOME/logs/<run>.log` (children inherit that), while pwh
keeps writing its own progress lines to the real terminal through duplicated descriptors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


@contextmanager
def child_output_to(log_path: Path) -> Iterator[tuple[TextIO, TextIO]]:
    """Redirect fds 1/2 to `log_path`; yield (stdout, stderr) streams on the real terminal."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    terminal_out = os.fdopen(os.dup(saved_out), "w", buffering=1, encoding="utf-8", errors="replace")
    terminal_err = os.fdopen(os.dup(saved_err), "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    try:
        yield terminal_out, terminal_err
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)
        os.dup2(saved_err, 2)
        for fd in (saved_out, saved_err, log_fd):
            os.close(fd)
        terminal_out.close()
        terminal_err.close()
