"""Settings flow: read once into Settings, carried by resources the Dagster UI shows, secrets as names."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest

from orchestration.settings import ConfigError, Settings, child_environment

SECRETS = {"JIRA_API_TOKEN": "jira-token-s3cr3t-value", "SERVICENOW_PASSWORD": "snow-pa55word-s3cr3t"}


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every documented variable set, from a working directory without a `.env` file."""
    monkeypatch.chdir(tmp_path)
    env = {
        "PWH_HOME": str(tmp_path / "home"),
        "PWH_AS_OF": "2026-06-30",
        "PWH_REPORTING_CURRENCY": "eur",
        "JIRA_URL": "https://example.atlassian.net/",
        "JIRA_EMAIL": "reader@example.com",
        "JIRA_JQL_SCOPE": "project in (ABC, DEF)",
        "SERVICENOW_URL": "https://example.service-now.com",
        "SERVICENOW_USER": "pwh.reader",
        "FINANCE_EXPORT_DIR": str(tmp_path / "drop"),
        "PWH_CA_BUNDLE": str(tmp_path / "ca.pem"),
        "PWH_SCHEDULE_TIMEZONE": "Europe/Berlin",
        "PWH_AUTOMATIONS": "off",
        **SECRETS,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _shown(definitions: dg.Definitions) -> dict[str, dict[str, object]]:
    """Each resource's configuration as the Dagster UI gets it (the code location's snapshot)."""
    from dagster._core.remote_representation.external_data import RepositorySnap

    snap = RepositorySnap.from_def(definitions.get_repository_def())
    return {resource.name: dict(resource.configured_values) for resource in snap.resources}


def test_the_ui_shows_each_resources_settings_and_only_the_names_of_secrets(environment: dict[str, str]) -> None:
    from dagster._core.remote_representation.external_data import RepositorySnap, ResourceConfigEnvVarSnap
    from dagster_shared.serdes import serialize_value

    from orchestration.definitions import defs

    definitions = defs()
    shown = _shown(definitions)
    home = str(Path(environment["PWH_HOME"]).resolve())
    assert shown["warehouse"]["home"] == f'"{home}"'
    assert shown["warehouse"]["as_of"] == '"2026-06-30"'
    assert shown["warehouse"]["reporting_currency"] == '"EUR"'
    assert shown["jira"]["url"] == '"https://example.atlassian.net"'
    assert shown["jira"]["email"] == '"reader@example.com"'
    assert shown["jira"]["jql_scope"] == '"project in (ABC, DEF)"'
    assert shown["jira"]["ca_bundle"] == f'"{environment["PWH_CA_BUNDLE"]}"'
    assert shown["jira"]["api_token"] == ResourceConfigEnvVarSnap(name="JIRA_API_TOKEN")
    assert shown["servicenow"]["url"] == '"https://example.service-now.com"'
    assert shown["servicenow"]["user"] == '"pwh.reader"'
    assert shown["servicenow"]["password"] == ResourceConfigEnvVarSnap(name="SERVICENOW_PASSWORD")
    assert shown["finance"]["export_dir"] == f'"{Path(environment["FINANCE_EXPORT_DIR"]).resolve()}"'
    assert "settle_seconds" in shown["finance"]
    # Nothing the UI or a run could show holds a secret's value.
    everything = serialize_value(RepositorySnap.from_def(definitions.get_repository_def()))
    for value in SECRETS.values():
        assert value not in everything
    # The schedule and the sensors: settings read at definitions loading, the rest from resources.
    schedule = definitions.resolve_schedule_def("nightly_sync_schedule")
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.required_resource_keys == {"warehouse"}
    assert definitions.resolve_sensor_def("finance_drop_sensor").required_resource_keys == {"finance", "warehouse"}


def test_a_source_without_its_secret_loads_and_is_reported_not_configured(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.definitions import defs
    from orchestration.settings import NotConfigured

    monkeypatch.delenv("JIRA_API_TOKEN")
    monkeypatch.delenv("SERVICENOW_URL")
    definitions = defs()  # no EnvVar for an unset variable: loading does not fail
    shown = _shown(definitions)
    assert shown["jira"]["api_token"] == "null"
    jira = definitions.resources["jira"].config()
    assert isinstance(jira, NotConfigured)
    assert jira.message == (
        "Jira not configured: set JIRA_API_TOKEN (source skipped; its marts keep the last loaded data)"
    )
    servicenow = definitions.resources["servicenow"].config()
    assert isinstance(servicenow, NotConfigured) and servicenow.missing == ("SERVICENOW_URL",)


def test_a_run_from_pwh_carries_its_settings_as_run_config_and_secrets_as_env_vars(
    environment: dict[str, str],
) -> None:
    from orchestration.defs.resources import run_config, source_resources

    settings = Settings.from_env(as_of=date(2026, 3, 31)).for_run()
    config = run_config(source_resources(settings))["resources"]
    assert config["warehouse"]["config"]["as_of"] == "2026-03-31"  # --as-of wins over PWH_AS_OF
    assert config["jira"]["config"]["api_token"] == {"env": "JIRA_API_TOKEN"}
    assert config["servicenow"]["config"]["password"] == {"env": "SERVICENOW_PASSWORD"}
    assert config["jira"]["config"]["jql_scope"] == "project in (ABC, DEF)"
    for value in SECRETS.values():
        assert value not in repr(config) and value not in repr(settings)
    # The step processes get the secrets' values as their environment, and only there.
    assert {name: settings.environment()[name] for name in SECRETS} == SECRETS


def test_the_schedule_runs_as_of_the_day_it_was_due_and_says_so_in_the_run_config(tmp_path: Path) -> None:
    from orchestration.defs.automation.schedules import nightly_schedule
    from orchestration.defs.resources import WarehouseResource

    schedule = nightly_schedule("0 2 * * *", "Europe/Berlin", running=False)
    due = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    for pinned, expected in ((None, "2026-07-01"), ("2026-06-30", "2026-06-30")):
        warehouse = WarehouseResource(home=str(tmp_path), as_of=pinned, reporting_currency="EUR")
        context = dg.build_schedule_context(resources={"warehouse": warehouse}, scheduled_execution_time=due)
        (request,) = schedule.evaluate_tick(context).run_requests or []
        config = request.run_config["resources"]["warehouse"]["config"]
        assert config == {"home": str(tmp_path), "as_of": expected, "reporting_currency": "EUR", "scenario_dir": None}


def test_publishing_uses_the_warehouse_settings_of_the_sync_run(tmp_path: Path) -> None:
    from orchestration.defs.automation.sensors import publish_request
    from orchestration.defs.resources import WarehouseResource

    used = {"home": str(tmp_path / "a"), "as_of": "2026-06-30", "reporting_currency": "EUR", "scenario_dir": None}
    sync = dg.DagsterRun(
        job_name="nightly_sync", run_id="r1", run_config={"resources": {"warehouse": {"config": used}}}
    )
    request = publish_request(sync, WarehouseResource(home=str(tmp_path / "b")), succeeded=True)
    assert request.run_config["resources"]["warehouse"]["config"] == used
    bare = publish_request(
        dg.DagsterRun(job_name="nightly_sync", run_id="r2"), WarehouseResource(home="/b"), succeeded=False
    )
    assert bare.run_config["resources"]["warehouse"]["config"]["home"] == "/b"


def test_settings_errors_name_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value, message in (
        ("PWH_AS_OF", "30/06/2026", "PWH_AS_OF must be a date"),
        ("PWH_REPORTING_CURRENCY", "EURO", "PWH_REPORTING_CURRENCY must be an ISO code"),
        ("PWH_EXECUTOR", "threads", "PWH_EXECUTOR must be multiprocess or in_process"),
        ("PWH_AUTOMATIONS", "maybe", "PWH_AUTOMATIONS must be on or off"),
    ):
        with pytest.raises(ConfigError, match=message):
            Settings.from_env({name: value})


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PWH_REPORTING_CURRENCY=GBP\nJIRA_URL=https://dotenv.example\nPWH_HOME=here\n")
    settings = Settings.from_env({"JIRA_URL": "https://env.example"})
    assert settings.reporting_currency == "GBP"
    assert settings.jira.url == "https://env.example"
    assert settings.home == (tmp_path / "here").resolve()
    assert settings.as_of is None  # today is decided per run, not when the settings are read


def test_child_environment_is_handed_over_for_the_block_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PWH_TEST_KEPT", "before")
    monkeypatch.delenv("PWH_TEST_NEW", raising=False)
    with child_environment({"PWH_TEST_KEPT": "during", "PWH_TEST_NEW": "during"}):
        assert os.environ["PWH_TEST_KEPT"] == os.environ["PWH_TEST_NEW"] == "during"
    assert os.environ["PWH_TEST_KEPT"] == "before"
    assert "PWH_TEST_NEW" not in os.environ


# --- several Jira sites (JIRA_SITES) ------------------------------------------------------------

ACME = {
    "JIRA_SITES": "acme, Globex",
    "JIRA_ACME_URL": "https://acme.atlassian.net/",
    "JIRA_ACME_EMAIL": "reader@acme.example",
    "JIRA_ACME_API_TOKEN": "acme-token-s3cr3t",
    "JIRA_ACME_STORY_POINTS_FIELD": "customfield_10050",
    "JIRA_GLOBEX_URL": "https://globex.atlassian.net",
    "JIRA_GLOBEX_EMAIL": "reader@globex.example",
    "JIRA_GLOBEX_API_TOKEN": "globex-token-s3cr3t",
    "JIRA_GLOBEX_JQL_SCOPE": "project = OPS",
}


# --- several ServiceNow instances (SERVICENOW_INSTANCES) --------------------------------------------

SN_ACME = {
    "SERVICENOW_INSTANCES": "acme globex",
    "SERVICENOW_ACME_URL": "https://acme.service-now.com/",
    "SERVICENOW_ACME_USER": "acme.reader",
    "SERVICENOW_ACME_PASSWORD": "acme-pa55word-s3cr3t",
    "SERVICENOW_GLOBEX_URL": "https://globex.service-now.com",
    "SERVICENOW_GLOBEX_USER": "globex.reader",
    "SERVICENOW_GLOBEX_PASSWORD": "globex-pa55word-s3cr3t",
}


def test_a_jira_sites_custom_fields_are_its_own(environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ACME.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JIRA_SPRINT_FIELD", "customfield_10020")
    settings = Settings.from_env()
    acme, globex = settings.jira_sites
    assert settings.jira.custom_fields() == {"sprint": "customfield_10020"}
    assert acme.custom_fields() == {"story_points": "customfield_10050"}
    assert (globex.jql_scope, globex.custom_fields()) == ("project = OPS", {})


# Each API source with further instances: their variables, how `pwh check` names the source, its
# instances on Settings, and its first instance's secret.
FURTHER = {
    "jira": (ACME, "Jira", "all_jira_sites", "JIRA_API_TOKEN"),
    "servicenow": (SN_ACME, "ServiceNow", "all_servicenow_instances", "SERVICENOW_PASSWORD"),
}


@pytest.fixture(params=sorted(FURTHER))
def source(request: pytest.FixtureRequest, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Each API source in turn, with its further instances acme and globex set as well."""
    for name, value in FURTHER[request.param][0].items():
        monkeypatch.setenv(name, value)
    return request.param


def test_further_instances_read_their_own_variables_and_keep_the_single_instance_ones(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    from orchestration.cli.pipeline import configured_sources

    further, kind, every, _ = FURTHER[source]
    settings = Settings.from_env()
    instances = getattr(settings, every)
    assert [one.source_instance for one in instances] == [source, f"{source}.acme", f"{source}.globex"]
    # The first reads the single-instance variables (JIRA_URL), each further one its own (JIRA_ACME_URL).
    env = {**environment, **further}
    for one in instances:
        expected = {name: env[name] for name in one.environment() if name in env}
        expected[one.variable("URL")] = expected[one.variable("URL")].rstrip("/")
        assert {name: value for name, value in one.environment().items() if value is not None} == expected
    secrets = [value for value in further.values() if "s3cr3t" in value]
    assert secrets and not any(secret in repr(settings) for secret in secrets)
    # A child process reads the same instances again.
    assert getattr(Settings.from_env(settings.environment()), every) == instances
    # Only further instances: the first one's variables are not asked for.
    for name in ("URL", "USER", "EMAIL", "API_TOKEN", "PASSWORD"):
        monkeypatch.delenv(instances[0].variable(name), raising=False)
    only = Settings.from_env()
    assert [one.source_instance for one in getattr(only, every)] == [f"{source}.acme", f"{source}.globex"]
    # `pwh check` shows each by its name, and logs a failed preflight under its folder.
    shown = [(s.name, s.landing) for s in configured_sources(only) if s.kind == kind and s.configured]
    assert shown == [(f"{kind} acme", f"{source}.acme"), (f"{kind} globex", f"{source}.globex")]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"JIRA_SITES": "acme"}, "JIRA_SITES names 'acme', but JIRA_ACME_URL, JIRA_ACME_EMAIL, JIRA_ACME_API_TOKEN"),
        ({"JIRA_SITES": "9lives"}, "JIRA_SITES names '9lives': each name is a letter"),
        ({"JIRA_SITES": "acme,ACME"}, "JIRA_SITES names acme more than once"),
        (
            {"SERVICENOW_INSTANCES": "acme", "SERVICENOW_ACME_URL": "https://acme.service-now.com"},
            "SERVICENOW_INSTANCES names 'acme', but SERVICENOW_ACME_USER, SERVICENOW_ACME_PASSWORD is not set",
        ),
        ({"SERVICENOW_INSTANCES": "acme-eu"}, "SERVICENOW_INSTANCES names 'acme-eu': each name is a letter"),
        ({"SERVICENOW_INSTANCES": "acme, Acme"}, "SERVICENOW_INSTANCES names acme more than once"),
    ],
)
def test_a_further_instance_that_cannot_work_is_named_with_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(variables)


def test_the_ui_and_run_config_show_each_further_instance_with_its_secret_as_a_variable_name(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster_shared.serdes import serialize_value

    from orchestration.definitions import defs
    from orchestration.defs.resources import JIRA_CUSTOM_FIELDS, dbt_environment, run_config, source_resources

    for name, value in {**ACME, **SN_ACME}.items():
        monkeypatch.setenv(name, value)
    definitions = defs()
    shown = serialize_value(RepositorySnap.from_def(definitions.get_repository_def()))
    assert "https://acme.atlassian.net" in shown and "JIRA_ACME_API_TOKEN" in shown
    assert "https://acme.service-now.com" in shown and "SERVICENOW_ACME_PASSWORD" in shown
    for secret in ("acme-token-s3cr3t", "globex-token-s3cr3t", "acme-pa55word-s3cr3t", "globex-pa55word-s3cr3t"):
        assert secret not in shown
    settings = Settings.from_env().for_run()
    resources = source_resources(settings)
    config = run_config(resources)["resources"]
    sites, instances = config["jira"]["config"]["sites"], config["servicenow"]["config"]["instances"]
    assert [(site["name"], site["api_token"]) for site in sites] == [
        ("acme", {"env": "JIRA_ACME_API_TOKEN"}),
        ("globex", {"env": "JIRA_GLOBEX_API_TOKEN"}),
    ]
    assert [(one["name"], one["url"], one["password"]) for one in instances] == [
        ("acme", "https://acme.service-now.com", {"env": "SERVICENOW_ACME_PASSWORD"}),
        ("globex", "https://globex.service-now.com", {"env": "SERVICENOW_GLOBEX_PASSWORD"}),
    ]
    # dbt learns each site's configured fields by the site's source_instance
    fields = dbt_environment(resources["warehouse"], resources["jira"])[JIRA_CUSTOM_FIELDS]
    assert fields == '{"jira.acme": {"story_points": "customfield_10050"}}'
    # resolved in a step: every site and instance, each with its landing folder
    with dg.build_resources({"jira": resources["jira"], "servicenow": resources["servicenow"]}) as built:
        sites_to_sync, instances_to_sync = built.jira.config(), built.servicenow.config()
    assert [(folder, config.url, config.api_token) for folder, config in sites_to_sync] == [
        ("jira", "https://example.atlassian.net", "jira-token-s3cr3t-value"),
        ("jira.acme", "https://acme.atlassian.net", "acme-token-s3cr3t"),
        ("jira.globex", "https://globex.atlassian.net", "globex-token-s3cr3t"),
    ]
    assert [(folder, config.url, config.password) for folder, config in instances_to_sync] == [
        ("servicenow", "https://example.service-now.com", "snow-pa55word-s3cr3t"),
        ("servicenow.acme", "https://acme.service-now.com", "acme-pa55word-s3cr3t"),
        ("servicenow.globex", "https://globex.service-now.com", "globex-pa55word-s3cr3t"),
    ]
    # each knows the variables it was read from, which its errors name (JIRA_ACME_API_TOKEN)
    assert [config.variables for _, config in sites_to_sync] == ["JIRA", "JIRA_ACME", "JIRA_GLOBEX"]
    assert [config.variables for _, config in instances_to_sync] == [
        "SERVICENOW",
        "SERVICENOW_ACME",
        "SERVICENOW_GLOBEX",
    ]


def test_an_incomplete_first_instance_is_skipped_and_the_named_ones_still_sync(
    monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    from orchestration.defs.resources import source_resources

    monkeypatch.delenv(FURTHER[source][3])  # the URL still set: the first instance is half configured
    resources = source_resources(Settings.from_env().for_run())
    with dg.build_resources({source: resources[source]}) as built:
        ready = getattr(built, source).config()
    assert [folder for folder, _ in ready] == [f"{source}.acme", f"{source}.globex"]
