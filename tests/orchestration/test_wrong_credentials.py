"""A wrong Jira token: `pwh run` fails in its preflight, names Jira and 401, and shows no secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators import start_simulators
from tests.conftest import pwh_env, run_pwh

# A first night ever, failing: the dq-only publish builds a warehouse from nothing (minutes). The
# fast case (a wrong token over an existing warehouse) is in test_nightly_operations.py.
pytestmark = pytest.mark.long

WRONG_TOKEN = "wrong-token-5f1e0c"


def test_wrong_jira_token_exits_non_zero_naming_jira_and_401_without_secrets(
    small_world_path: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with start_simulators(small_world_path) as sims:
        env = pwh_env(
            home,
            JIRA_URL=sims.jira_url,
            JIRA_EMAIL=sims.jira_email,
            JIRA_API_TOKEN=WRONG_TOKEN,
        )
        result = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=tmp_path)
        real_token = sims.jira_api_token
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    # The preflight finds it before anything syncs: one line, naming Jira, 401 and what to fix.
    failure_lines = [line for line in result.stderr.splitlines() if line.startswith("pwh: Jira cannot be read")]
    assert len(failure_lines) == 1, result.stderr
    assert "401" in failure_lines[0] and "JIRA_API_TOKEN" in failure_lines[0], failure_lines[0]
    assert "Traceback" not in result.stderr
    # No secret anywhere: not on the terminal, not in the step logs, not in landed data.
    assert WRONG_TOKEN not in output and real_token not in output
    for path in home.rglob("*"):
        if path.is_file() and path.suffix in (".log", ".parquet", ".json", ".txt"):
            data = path.read_bytes()
            assert WRONG_TOKEN.encode() not in data, path
