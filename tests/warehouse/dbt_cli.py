"""dbt run by hand in a test's own folder, the way a developer runs it from a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.defs.transform.project import DBT_AS_OF_VARIABLE, DBT_PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


def dbt(
    command: str, home: Path, as_of: str | None, inline: str = "select {{ as_of_date() }} as as_of", **settings: str
) -> str:
    """Run one dbt ``command`` in ``home`` (its own warehouse file and target folder) for ``as_of``
    (None: no date handed over); ``compile`` and ``show`` run the ``inline`` SQL. dbt's stdout."""
    env = {
        **os.environ,
        **settings,
        "PWH_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET": "dev",
    }
    env.pop("PWH_AS_OF", None)
    env.pop(DBT_AS_OF_VARIABLE, None)
    if as_of is not None:
        env[DBT_AS_OF_VARIABLE] = as_of
    done = subprocess.run(
        [
            str(DBT),
            command,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(home / "dbt_target"),
            "--log-path",
            str(home / "dbt_logs"),
            *(["--inline", inline] if command in ("compile", "show") else []),
            *(["--output", "json"] if command == "show" else []),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout
