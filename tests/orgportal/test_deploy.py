"""docker-compose.yml, the Dockerfile and the smoke test describe the same deployment."""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile():
    """Return the Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def instruction(dockerfile, keyword):
    found = [arguments for key, arguments in dockerfile if key == keyword]
    assert found, f"the Dockerfile has no {keyword}"
    return found


def test_compose_has_the_database_the_web_server_and_redis_behind_a_profile(compose):
    services = compose["services"]

    assert set(services) == {"db", "web", "redis"}
    assert "profiles" not in services["db"]
    assert "profiles" not in services["web"]
    assert services["redis"]["profiles"] == ["cache"]


def test_database_is_postgresql_16_on_a_named_volume_with_a_pg_isready_check(compose):
    db = compose["services"]["db"]

    assert db["image"].startswith("postgres:16")
    volume, _, target = db["volumes"][0].partition(":")
    assert target == "/var/lib/postgresql/data"
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_web_is_built_here_and_waits_for_a_healthy_database(compose):
    web = compose["services"]["web"]

    assert web["build"] == "."
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"] == {"condition": "service_healthy", "required": False}
    assert web["env_file"] == ".env"
    assert web["environment"]["DATABASE_URL"].startswith("${DATABASE_URL:-postgres://")
    assert "@db:5432/" in web["environment"]["DATABASE_URL"]
    assert web["ports"] == ["${WEB_PORT:-8000}:8000"]


def test_redis_has_a_health_check(compose):
    assert "ping" in compose["services"]["redis"]["healthcheck"]["test"]


def test_web_command_image_command_and_smoke_test_start_the_same_script(compose, dockerfile):
    smoke = load_script("smoke")
    image_command = json.loads(instruction(dockerfile, "CMD")[-1])

    assert compose["services"]["web"]["command"] == image_command == smoke.START_COMMAND
    assert smoke.START_COMMAND == ["scripts/start-web.sh"]


def test_start_and_build_scripts_are_executable():
    for name in ("start-web.sh", "build.sh"):
        assert os.access(ROOT / "scripts" / name, os.X_OK), name


def test_start_script_migrates_seeds_then_execs_gunicorn_with_its_config():
    script = (ROOT / "scripts" / "start-web.sh").read_text(encoding="utf-8")

    assert "python scripts/prepare_database.py" in script
    assert "exec gunicorn --config scripts/gunicorn.conf.py orgportal.wsgi:application" in script
    prepare = (ROOT / "scripts" / "prepare_database.py").read_text(encoding="utf-8")
    assert 'call_command("migrate", interactive=False)' in prepare
    assert 'call_command("import_org", if_empty=True)' in prepare


def test_image_is_slim_python_installed_from_pyproject_and_built_at_image_time(dockerfile):
    base = instruction(dockerfile, "FROM")[0]
    runs = " ".join(instruction(dockerfile, "RUN"))

    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    assert "pyproject.toml" in runs
    assert "pip install --no-deps -e ." in runs
    assert "scripts/build.sh" in runs
    build = (ROOT / "scripts" / "build.sh").read_text(encoding="utf-8")
    assert "manage.py compile_catalogs" in build
    assert "manage.py collectstatic --noinput" in build


def test_image_runs_as_a_user_that_is_not_root(dockerfile):
    user = instruction(dockerfile, "USER")[-1]

    assert user not in ("root", "0")
    assert (
        f"useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin {user}"
        in (" ".join(instruction(dockerfile, "RUN")))
    )


def test_image_checks_its_health_on_healthz_with_python(dockerfile):
    healthcheck = instruction(dockerfile, "HEALTHCHECK")[0]

    assert healthcheck.endswith('CMD ["python", "scripts/healthcheck.py"]')
    assert "/healthz" in (ROOT / "scripts" / "healthcheck.py").read_text(encoding="utf-8")


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()

    for entry in (".env", ".venv", ".git", "db.sqlite3", "staticfiles"):
        assert entry in ignored


@pytest.mark.parametrize(
    ("allowed_hosts", "expected"),
    [
        ("org.example.com,localhost", "org.example.com"),
        (" .example.com", "example.com"),
        ("*,localhost", "localhost"),
        ("", "localhost"),
    ],
)
def test_healthcheck_asks_with_a_host_that_allowed_hosts_accepts(
    monkeypatch, allowed_hosts, expected
):
    monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)

    assert load_script("healthcheck").probe_host() == expected


def documented_variables():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_env_example_documents_every_variable_that_is_read():
    read = set()
    settings = (ROOT / "orgportal" / "settings.py").read_text(encoding="utf-8")
    read |= set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings))
    gunicorn = (ROOT / "scripts" / "gunicorn.conf.py").read_text(encoding="utf-8")
    read |= set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"", gunicorn))
    start = (ROOT / "scripts" / "start-web.sh").read_text(encoding="utf-8")
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", start))
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    read |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", compose))

    assert {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "REDIS_URL",
        "WEB_CONCURRENCY",
        "POSTGRES_PASSWORD",
    } <= read
    assert read - documented_variables() == set()
