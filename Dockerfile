# Reseller Desk: `docker compose up` (compose.yaml) runs it with PostgreSQL; README "Running it in
# containers". Built from this repository alone: the only downloads are the Python packages that
# `pip install .` needs (no dev extras). tests/integration/test_container_build.py runs the build
# stage's RUN steps on the files this context holds (.dockerignore applied) and starts the result.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . /src
# The gettext catalogs (.mo, not in git) are compiled where the package is installed, with the Babel
# `pip install .` brings: written after the .po files, they are what `bot.i18n` reads (it compiles a
# .po in memory when its .mo is missing or older). From /opt/venv, `import bot` is the installed one.
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install . \
    && cd /opt/venv \
    && bin/pybabel compile -D messages \
        -d "$(bin/python -c 'import bot, pathlib; print(pathlib.Path(bot.__file__).parent / "locale")')"

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=3000
RUN useradd --create-home --home-dir /app --uid 10001 --user-group reseller
COPY --from=build /opt/venv /opt/venv
USER reseller
WORKDIR /app
EXPOSE 3000
# Readiness (`GET /healthz`: the database answers and is migrated). The `scheduler` service serves no
# HTTP and turns this check off in compose.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
ENTRYPOINT ["reseller-bot"]
CMD ["serve"]
