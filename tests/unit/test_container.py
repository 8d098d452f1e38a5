"""The container files, checked without Docker (none runs on the development machine): the compose
file's services and commands, every variable against `bot/settings.py`, the Dockerfile's build context
and runtime image. tests/integration/test_container_build.py runs the build steps themselves."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import parser
from bot.settings import Settings
from tests.container import (
    INTERPOLATION,
    ROOT,
    build_context,
    compose,
    dockerfile_stages,
    dockerignored,
    env_example_names,
    env_example_values,
    exec_form,
    ignore_rules,
    repository_files,
)

SETTINGS = {name.upper() for name in Settings.model_fields}
KNOWN = {
    "WEB_CONCURRENCY": "gunicorn's worker count (`reseller-bot serve`)",
    "RESELLER_NO_SCHEDULER": "`serve` starts no scheduler (bot/cli.py)",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus_client's multiprocess folder (bot/metrics.py)",
    "POSTGRES_PASSWORD": "compose.yaml: the `db` service's password, in DATABASE_URL",
    "HOST_PORT": "compose.yaml: the host port published to the app's 3000",
}
"""Variables that are not `Settings` fields, and who reads them."""


def subcommands() -> set[str]:
    actions = [a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(actions[0].choices)


def test_compose_starts_db_app_and_scheduler_with_real_commands() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "app", "scheduler"}
    assert services["db"]["image"] == "postgres:16"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["db"]["volumes"])
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["app"]["command"] == ["serve"]
    assert services["scheduler"]["command"] == ["schedule"]
    for name in ("app", "scheduler"):
        service = services[name]
        assert service["command"][0] in subcommands()
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        assert service["depends_on"] == {"db": {"condition": "service_healthy"}}
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://reseller:")
        assert "@db:5432/reseller" in service["environment"]["DATABASE_URL"]
    # The daily jobs run in one process: the scheduler service, not beside each web server.
    assert services["app"]["environment"]["RESELLER_NO_SCHEDULER"] == "1"
    assert "RESELLER_NO_SCHEDULER" not in services["scheduler"]["environment"]
    assert services["scheduler"]["healthcheck"] == {"disable": True}
    assert services["app"]["ports"] == ["${HOST_PORT:-3000}:3000"]


def test_every_variable_named_is_a_setting_and_every_setting_is_documented() -> None:
    services = compose()["services"]
    named = set(env_example_names())
    for name in ("app", "scheduler"):
        named |= set(services[name]["environment"])
    named |= set(INTERPOLATION.findall((ROOT / "compose.yaml").read_text()))
    unknown = named - SETTINGS - set(KNOWN)
    assert not unknown, f"not settings of bot/settings.py: {sorted(unknown)}"
    undocumented = (SETTINGS | set(KNOWN)) - set(env_example_names())
    assert not undocumented, f"missing from .env.example: {sorted(undocumented)}"
    assert set(services["db"]["environment"]) == {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD"}


def test_env_example_as_copied_is_valid_and_holds_no_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its set lines load as settings (the environment cleared of them); secrets are left empty."""
    values = env_example_values()
    for name in SETTINGS | set(values):
        monkeypatch.delenv(name, raising=False)
    copied = tmp_path / ".env"
    copied.write_text((ROOT / ".env.example").read_text())
    settings = Settings(_env_file=copied)  # type: ignore[call-arg]
    assert settings.reseller_provider == "simulated" and settings.log_format == "text"
    assert settings.slack_bot_token is None and settings.metrics is False
    for secret in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "AC_PARTNER_API_KEY"):
        assert values[secret] == ""
    assert values["POSTGRES_PASSWORD"] == "" and values["METRICS_TOKEN"] == ""


def test_dockerfile_copies_only_the_build_context_and_runs_unprivileged() -> None:
    build, runtime = dockerfile_stages()
    assert build.name == "build" and build.base == runtime.base
    context = build_context()
    for stage in (build, runtime):
        for args in stage.all("COPY"):
            if args.startswith("--from="):
                continue
            *sources, _target = args.split()
            for source in sources:
                assert source == "." or source in context, f"COPY {source}: not in the build context"
    for needed in ("pyproject.toml", "README.md", "bot/cli.py", "domain/store/migrations/env.py"):
        assert needed in context
    assert "bot/locale/fr/LC_MESSAGES/messages.po" in context
    assert "domain/data/catalog.toml" in context
    assert runtime.all("COPY") == ["--from=build /opt/venv /opt/venv"]
    (user,) = runtime.all("USER")
    assert user not in ("root", "0")
    assert runtime.all("EXPOSE") == ["3000"]
    assert exec_form(runtime.all("ENTRYPOINT")[0]) == ["reseller-bot"]
    assert exec_form(runtime.all("CMD")[0]) == ["serve"]
    (health,) = runtime.all("HEALTHCHECK")
    assert 'CMD ["python", "-c"' in health and "/healthz" in health and "curl" not in health


def test_no_dev_extras_no_local_state_in_the_image() -> None:
    build, _ = dockerfile_stages()
    steps = " ".join(build.all("RUN"))
    assert "pip install ." in steps and "[dev]" not in steps and "-e " not in steps
    assert "pybabel compile" in steps
    rules = ignore_rules()
    for local in (".venv", ".venv/bin/python", "var/reseller-desk.db", ".git/HEAD", ".env"):
        assert dockerignored(local, rules), local
    for cache in ("bot/__pycache__/cli.cpython-311.pyc", ".mypy_cache/x", ".pytest_cache/v", ".ruff_cache/x"):
        assert dockerignored(cache, rules), cache
    assert dockerignored("bot/locale/fr/LC_MESSAGES/messages.mo", rules)
    assert not dockerignored("bot/locale/fr/LC_MESSAGES/messages.po", rules)
    assert not dockerignored(".env.example", rules)
    # Whatever git ignores (local, generated or secret) is kept out of the build context too.
    for pattern in ignore_rules(ROOT / ".gitignore"):
        sample = pattern.rstrip("/").replace("*", "x")
        assert dockerignored(sample, rules), f"{pattern} (.gitignore) is sent to docker build"
    # Every file git tracks that the image needs is sent: only the listed local files are left out.
    left_out = set(repository_files()) - set(build_context())
    assert not left_out, sorted(left_out)


@pytest.mark.parametrize(
    ("path", "rules", "ignored"),
    [
        ("a/b/__pycache__/x.pyc", ["**/__pycache__"], True),
        ("__pycache__/x.pyc", ["**/__pycache__"], True),
        ("x.egg-info/PKG-INFO", ["*.egg-info"], True),
        ("src/x.egg-info/PKG-INFO", ["*.egg-info"], False),
        ("var", ["var"], True),
        ("variables.py", ["var"], False),
        ("docs/a.md", ["docs", "!docs/a.md"], False),
        ("docs/b.md", ["docs", "!docs/a.md"], True),
    ],
)
def test_dockerignore_matching_is_dockers(path: str, rules: list[str], ignored: bool) -> None:
    assert dockerignored(path, rules) is ignored
