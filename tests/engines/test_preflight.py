"""Bad input for a warehouse target: one line naming the target and what to do, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtm import engines
from gtm.errors import GtmError

REPO = Path(__file__).resolve().parents[2]


def test_unknown_target_lists_the_profile_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET", "warehouse9")
    with pytest.raises(
        GtmError, match=r"target 'warehouse9' \(DBT_TARGET\) is not in profiles.yml; "
    ):
        engines.current_target(REPO)


def test_postgres_down_names_the_address_and_the_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTM_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("GTM_PG_PORT", "1")
    with pytest.raises(GtmError) as raised:
        engines.preflight(engines.Target("postgres", "postgres"))
    message = str(raised.value)
    assert message.startswith("target 'postgres': cannot reach PostgreSQL at 127.0.0.1:1 (")
    assert "scripts/pg_up.sh" in message and "\n" not in message


def test_spark_without_java_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(GtmError, match=r"^target 'spark': Spark needs Java 17 .*openjdk-17"):
        engines.preflight(engines.Target("spark", "spark"))


def test_cloud_without_credentials_names_the_missing_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in engines.CLOUD_CREDENTIALS["bigquery"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GTM_BIGQUERY_PROJECT", "acme-analytics")
    with pytest.raises(GtmError) as raised:
        engines.preflight(engines.Target("bigquery", "bigquery"))
    assert str(raised.value) == (
        "target 'bigquery': missing credentials GTM_BIGQUERY_KEYFILE; set them in the environment "
        "(see profiles.yml and docs/engines.md)"
    )


@pytest.mark.parametrize("cloud", sorted(engines.CLOUD_CREDENTIALS))
def test_every_cloud_target_names_all_its_missing_variables(
    monkeypatch: pytest.MonkeyPatch, cloud: str
) -> None:
    variables = engines.CLOUD_CREDENTIALS[cloud]
    for name in variables:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(GtmError) as raised:
        engines.preflight(engines.Target(cloud, cloud))
    assert str(raised.value) == (
        f"target '{cloud}': missing credentials {', '.join(variables)}; set them in the "
        "environment (see profiles.yml and docs/engines.md)"
    )
    # profiles.yml's output of that name is of that type and reads every one of them.
    profile = (REPO / "profiles.yml").read_text()
    output = profile.split(f"\n    {cloud}:\n", 1)[1].split("\n    # ", 1)[0]
    assert f"type: {cloud}" in output
    for name in variables:
        assert f"env_var('{name}'" in output
