"""The dbt project Dagster runs, and making sure its manifest exists before definitions load."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock
    fcntl = None  # type: ignore[assignment]

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration.settings import child_environment

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

# How a run hands dbt its as-of date: dbt gives DBT_ENV_CUSTOM_ENV_* variables to Jinja as
# dbt_metadata_envs (read by the as_of_date() macro) without tracking them for partial parsing,
# so a new date does not make dbt parse the whole project again, as PWH_AS_OF through env_var() did.
DBT_AS_OF_VARIABLE = "DBT_ENV_CUSTOM_ENV_PWH_AS_OF"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The dbt of this environment, whether or not the venv is activated (PATH may not have it)."""
    executable = Path(sys.executable).parent / "dbt"
    return str(executable) if executable.exists() else "dbt"


class ProjectDbtCliResource(DbtCliResource):
    """dagster-dbt's resource for our dbt, told dbt's version instead of asking for it.

    DbtCliResource learns which dbt it drives by running `dbt --version` once per resource
    instance: once per run and once per parse, each a Python process that imports all of dbt
    (about 3 s of a core). The dbt next to this interpreter is the installed dbt-core package,
    whose version the package metadata gives; any other executable is still asked.
    """

    @cached_property
    def _cli_version(self) -> Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return Version(version("dbt-core"))
        return super()._cli_version


def dbt_resource() -> ProjectDbtCliResource:
    """The resource every dbt invocation goes through: the dbt steps and the parse."""
    return ProjectDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )


# What a parse leaves in the target folder that later readers use; manifest.json goes last.
_PARSE_OUTPUTS = ("partial_parse.msgpack", "semantic_manifest.json", "perf_info.json", "manifest.json")
_SCRATCH_PREFIX = "pwh-parse-"


@contextmanager
def _parse_lock() -> Iterator[Path]:
    """One parse at a time in the project's target folder (yields that folder). The stamp check,
    the parse and the stamp are done under it, so a stamp always describes the parse beside it.
    Without flock (Windows), concurrent runs on one checkout are up to the scheduler."""
    target = dbt_project.manifest_path.parent
    target.mkdir(parents=True, exist_ok=True)
    with open(target / "pwh_parse.lock", "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        yield target


def _parse(env: Mapping[str, str], target: Path) -> None:
    """`dbt parse` (dagster-dbt's `--quiet parse`), with `env` added to dbt's environment, into a
    scratch folder whose files then replace those of ``target`` (held under ``_parse_lock``), each
    in one step (os.replace).

    dbt writes manifest.json where it stands; a process loading the definitions meanwhile (`pwh
    ui`'s code server while `pwh run` parses, the Dagster CLI) would read half of it and fail.
    Moved into place, a reader finds the old parse or the new one, whole. The saved partial parse
    is copied into the scratch folder first, so dbt still parses only what changed; dbt's log of
    the parse, failed or not, ends up in ``target`` as before.

    dagster-dbt's project preparer would do the same parse, but with a resource of its own that
    looks for `dbt` on PATH (a venv that is not activated has it only next to this interpreter)
    and asks it for its version first: the parse goes through ``ProjectDbtCliResource`` instead,
    and the preparer's one further step, invalidating the seeds in the saved partial parse (their
    absolute paths are stale once the checkout is moved or copied), is then taken as it takes it.
    The resource has no parameter for dbt's environment, so `env` is handed over as the
    environment of the dbt process it starts.
    """
    # Only the lock's holder makes a scratch folder: one found now is a killed parse's.
    for stale in target.glob(f"{_SCRATCH_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix=_SCRATCH_PREFIX, dir=target))
    try:
        saved = target / "partial_parse.msgpack"
        if saved.exists():
            shutil.copy2(saved, scratch / saved.name)
        with child_environment(env):
            dbt_resource().cli(["--quiet", "parse"], target_path=scratch).wait()
        parsed = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=scratch)
        parsed.preparer._invalidate_seeds_in_partial_parse(parsed)
        for name in _PARSE_OUTPUTS:
            if (scratch / name).exists():
                os.replace(scratch / name, target / name)
    finally:
        if (scratch / "dbt.log").exists():
            os.replace(scratch / "dbt.log", target / "dbt.log")
        shutil.rmtree(scratch, ignore_errors=True)


def ensure_manifest() -> Path:
    """Parse the dbt project once when its manifest is missing (a fresh clone, a CI run).

    `prepare_if_dev()` only parses under `dagster dev`; the CLI, tests and `dagster definitions
    validate` need the manifest too. Parsing needs no database and no network.
    """
    if not dbt_project.manifest_path.exists():
        with _parse_lock() as target:
            if not dbt_project.manifest_path.exists():  # another process may have parsed meanwhile
                _parse({}, target)
    return dbt_project.manifest_path


# What a parse depends on besides the environment: the project's own files.
_PROJECT_FOLDERS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
_PARSE_STAMP = "pwh_parse_stamp.txt"


def prepare_manifest(dbt_env: Mapping[str, str]) -> Path:
    """Parse, with the environment the run's dbt steps will have, unless the saved parse already
    is that one (the CLI calls this once per run).

    dbt's partial parsing is invalidated when env vars its profile or dbt_project.yml read change
    (PWH_HOME, PWH_REPORTING_CURRENCY; not the as-of date, see DBT_AS_OF_VARIABLE); parsing with
    the run's own environment once up front lets every dbt step reuse that parse. A night like the
    last one (same project files, same environment, same dbt) skips even that: `dbt parse` costs
    seconds of start-up when it has nothing to do. Each dbt step still checks its copy of the
    parse against the files (dbt's partial parsing), so a stale stamp could cost time, not results.
    """
    with _parse_lock() as target:
        stamp_path = target / _PARSE_STAMP
        if dbt_project.manifest_path.exists() and _read(stamp_path) == _parse_fingerprint(dbt_env):
            return dbt_project.manifest_path
        _parse(dbt_env, target)
        stamp_path.write_text(_parse_fingerprint(dbt_env))
    return dbt_project.manifest_path


def _parse_fingerprint(dbt_env: Mapping[str, str]) -> str:
    """A digest of what the saved parse was made from: dbt's version, the environment handed to
    dbt (the as-of date left out: it does not enter the parse), the project files, and the saved
    partial-parse file itself (another `dbt parse` into the same folder changes it)."""
    digest = hashlib.sha256()
    digest.update(project_digest().encode())
    for name in sorted(dbt_env):
        if name != DBT_AS_OF_VARIABLE:
            digest.update(f"{name}={dbt_env[name]}\n".encode())
    partial = dbt_project.manifest_path.parent / "partial_parse.msgpack"
    if partial.exists():
        status = partial.stat()
        digest.update(f"partial {status.st_size} {status.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def project_digest() -> str:
    """A digest of the dbt project as code: dbt's version and every file of the project (models,
    macros, seeds, tests, dbt_project.yml, profiles.yml). Equal digests build the same SQL."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(f"dbt-core {version('dbt-core')} dbt-duckdb {version('dbt-duckdb')}\n".encode())
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in _PROJECT_FOLDERS:
        files += sorted(path for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file())
    for path in files:
        if path.exists():
            digest.update(f"{path.relative_to(DBT_PROJECT_DIR)}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def mart_names(tag: str) -> tuple[str, ...]:
    """The marts (schema `marts`) carrying a dbt tag, from the manifest: which tables are KPI
    marts (`kpi`) and which are rebuilt after every run (`data_quality`) is said once, by the tags
    in dbt_project.yml."""
    return model_names(tag, schema="marts")


def model_names(tag: str, schema: str | None = None) -> tuple[str, ...]:
    """The models carrying a dbt tag (in `schema` only, when given), from the manifest."""
    manifest = json.loads(ensure_manifest().read_text())
    return tuple(
        sorted(
            node["name"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and tag in node.get("tags", [])
            and (schema is None or node.get("config", {}).get("schema") == schema)
        )
    )
