"""Production settings: check --deploy is clean with the documented variables, and start-up
stops without a secret key or allowed hosts, naming the variable.

Each test runs Django in a subprocess with a clean environment (no .env file either), as a
container starts.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def env_example():
    """Return the variables that .env.example sets for production."""
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def clean_env(**variables):
    """Return an environment with nothing from this shell or from a .env file."""
    bin_dir = Path(sys.executable).parent
    return {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "ENV_FILE": "",
        **variables,
    }


def production_env(**overrides):
    return clean_env(**{**env_example(), "SECRET_KEY": secrets.token_urlsafe(50), **overrides})


def run(command, env, timeout=120):
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def manage(*args, env):
    return run([sys.executable, "manage.py", *args], env)


def setting(name, env):
    """Return the repr of a setting as a process with ``env`` loads it."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'orgportal.settings'; "
        f"django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    )
    result = run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_env_example_leaves_the_secrets_to_fill_in():
    values = env_example()

    assert values["DEBUG"] == "0"
    assert values["SECRET_KEY"] == ""
    assert values["POSTGRES_PASSWORD"] == ""
    assert values["ALLOWED_HOSTS"]


def test_check_deploy_with_the_documented_production_variables_reports_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_is_clean_with_only_debug_off_a_secret_and_the_hosts():
    env = clean_env(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="org.example")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_https_is_switched_off():
    env = production_env(SECURE_SSL_REDIRECT="0", SESSION_COOKIE_SECURE="0")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W012" in result.stderr


@pytest.mark.parametrize("variable", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_start_script_stops_before_serving_when_a_required_variable_is_missing(variable):
    env = production_env()
    del env[variable]

    result = run([str(ROOT / "scripts" / "start-web.sh")], env)

    assert result.returncode != 0
    assert f"{variable} is not set" in result.stderr
    assert "environment variable is required" in result.stderr


@pytest.mark.parametrize("variable", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_gunicorn_stops_at_once_when_a_required_variable_is_empty(variable):
    env = production_env(
        **{variable: ""}, ORGPORTAL_MIGRATE_ON_START="0", GUNICORN_BIND="127.0.0.1:0"
    )

    result = run([str(ROOT / "scripts" / "start-web.sh")], env, timeout=60)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} is not set" in result.stderr


def test_debug_needs_neither_secret_nor_hosts():
    assert setting("ALLOWED_HOSTS", clean_env(DEBUG="1")) == "['localhost', '127.0.0.1', '[::1]']"


def gunicorn_setting(names, env):
    """Return the values of gunicorn settings as scripts/gunicorn.conf.py makes them."""
    code = (
        "import runpy, json; conf = runpy.run_path('scripts/gunicorn.conf.py'); "
        f"print(json.dumps([conf[name] for name in {names!r}]))"
    )
    result = run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_gunicorn_runs_two_workers_of_four_threads_by_default():
    # Chosen by measurement on two cores (docs/deploy.md, Workers and threads).
    assert gunicorn_setting(["workers", "threads"], production_env()) == [2, 4]


def test_gunicorn_runs_several_workers_without_a_shared_cache():
    env = production_env(WEB_CONCURRENCY="3", GUNICORN_THREADS="2")
    assert gunicorn_setting(["workers", "threads"], env) == [3, 2]


def test_import_files_wait_where_every_worker_finds_them(tmp_path):
    """Without Redis the admin's uploaded file waits in files: a second process (another
    gunicorn worker) reads what the first one stored."""
    env = production_env(ORGPORTAL_IMPORTS_DIR=str(tmp_path))
    store = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'orgportal.settings'; "
        "django.setup(); from orgportal.orgfiles.spreadsheets import ImportFileStorage; "
        "s = ImportFileStorage(); s.save(b'rows'); print(s.name)"
    )
    stored = run([sys.executable, "-c", store], env)
    assert stored.returncode == 0, stored.stderr
    name = stored.stdout.strip()
    read = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'orgportal.settings'; "
        "django.setup(); from orgportal.orgfiles.spreadsheets import ImportFileStorage; "
        f"print(ImportFileStorage(name={name!r}).read())"
    )
    result = run([sys.executable, "-c", read], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "b'rows'"


def test_production_trusts_the_proxys_forwarded_proto_header_by_default():
    assert setting("SECURE_PROXY_SSL_HEADER", production_env()) == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_the_proxy_header_can_be_renamed_or_switched_off():
    env = production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme")
    assert setting("SECURE_PROXY_SSL_HEADER", env) == "('HTTP_X_FORWARDED_SCHEME', 'https')"
    assert setting("SECURE_PROXY_SSL_HEADER", production_env(SECURE_PROXY_SSL_HEADER="")) == "None"


def test_redis_url_selects_djangos_redis_cache_with_short_timeouts():
    env = production_env(REDIS_URL="redis://cache.internal:6379/1", CACHE_KEY_PREFIX="org")

    caches = setting("CACHES", env)

    assert "'django.core.cache.backends.redis.RedisCache'" in caches
    assert "'LOCATION': 'redis://cache.internal:6379/1'" in caches
    assert "'KEY_PREFIX': 'org'" in caches
    assert "'socket_timeout': 1" in caches


def test_the_cache_is_local_memory_without_redis_url():
    assert "LocMemCache" in setting("CACHES", production_env())


def test_an_unknown_log_format_stops_start_up():
    result = manage("check", env=production_env(LOG_FORMAT="xml"))

    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr
