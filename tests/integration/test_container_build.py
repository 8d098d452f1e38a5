"""The image's build steps, run without Docker (no daemon on the development machine): the build
context (the repository minus `.dockerignore`) is copied to a folder, the build stage's `RUN` lines
run there as written, with `/opt/venv` moved under the test's folder (the same `pip install .` from
the configured package index, the same catalog compile), then the result runs as the runtime stage
runs it: from another folder, `reseller-bot` on PATH, `serve` until the image's HEALTHCHECK passes.

About 20 s (the install is most of it), so it runs in the SQLite pass of CI only: nothing in it
depends on the database server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.container import ROOT, build_context, dockerfile_stages, env_pairs, exec_form
from tests.e2e.test_processes import free_port, stop_group

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="database-independent: runs in the SQLite pass",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "RESELLER_", "AC_", "METRICS", "VIRTUAL_ENV", "PYTHON"))
        and k not in ("DATABASE_URL", "PORT", "LOG_LEVEL", "LOG_FORMAT")
    }
    # `python3` as on the image: the interpreter running the tests, not a virtual environment's.
    base = Path(getattr(sys, "_base_executable", sys.executable)).parent
    env["PATH"] = f"{base}{os.pathsep}{env.get('PATH', '')}"
    return env | extra


def test_the_build_steps_install_a_working_app(tmp_path: Path) -> None:
    build, runtime = dockerfile_stages()
    venv = tmp_path / "opt-venv"
    src = tmp_path / "src"
    (workdir,) = build.all("WORKDIR")
    assert build.all("COPY") == [f". {workdir}"]
    for name in build_context():
        target = src / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    env = clean_env()
    for args in build.all("ENV"):
        env.update(env_pairs(args))
    for step in build.all("RUN"):
        command = step.replace("/opt/venv", str(venv))
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            cwd=src,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert done.returncode == 0, f"RUN {step}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"

    # The runtime stage: the venv alone, on PATH, run from another folder as an unprivileged user.
    app = tmp_path / "app"
    app.mkdir()
    run_env = clean_env(HOME=str(app), DATABASE_URL=f"sqlite:///{app / 'desk.db'}")
    for args in runtime.all("ENV"):
        run_env.update(env_pairs(args.replace("/opt/venv", str(venv)).replace("$PATH", run_env["PATH"])))
    assert run_env["PATH"].startswith(f"{venv}/bin")
    where = subprocess.run(
        ["python", "-c", "import bot, domain; print(bot.__file__, domain.__file__)"],
        cwd=app,
        env=run_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(path.startswith(str(venv)) for path in where), where  # the installed package, not src
    package = Path(where[0]).parent
    for lang in ("fr", "it"):
        folder = package / "locale" / lang / "LC_MESSAGES"
        mo, po = folder / "messages.mo", folder / "messages.po"
        # bot.i18n reads the compiled catalog only when it is at least as new as its source.
        assert mo.stat().st_mtime >= po.stat().st_mtime, lang
    (entrypoint,) = runtime.all("ENTRYPOINT")
    program = exec_form(entrypoint)
    helped = subprocess.run(
        [*program, "--help"], cwd=app, env=run_env, capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "serve" in helped.stdout and "schedule" in helped.stdout
    french = subprocess.run(
        [*program, "shell", "--locale", "fr"],
        input="/agency members\n",
        cwd=app,
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert french.returncode == 0, french.stderr
    assert "U0LOCALOWNER — propriétaire" in french.stdout, french.stdout

    port = str(free_port())
    served_env = run_env | {
        "PORT": port,
        "SLACK_BOT_TOKEN": "xoxb-container-check",
        "SLACK_SIGNING_SECRET": "container-check-signing-secret",
        "RESELLER_NO_SCHEDULER": "1",
        "WEB_CONCURRENCY": "1",
    }
    command = [*program, *exec_form(runtime.all("CMD")[0])]
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        served = subprocess.Popen(
            command, cwd=app, env=served_env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    (health,) = runtime.all("HEALTHCHECK")
    probe = exec_form(health.split(" CMD ", 1)[1])
    try:
        deadline, healthy = time.monotonic() + 30, False
        while not healthy and time.monotonic() < deadline and served.poll() is None:
            check = subprocess.run(probe, cwd=app, env=served_env, capture_output=True, check=False)
            healthy = check.returncode == 0
            if not healthy:
                time.sleep(0.2)
        assert healthy, log.read_text(errors="replace")
        # The same probe fails when nothing answers: it does check something.
        elsewhere = served_env | {"PORT": str(free_port())}
        assert subprocess.run(probe, cwd=app, env=elsewhere, capture_output=True, check=False).returncode
    finally:
        stop_group(served)
