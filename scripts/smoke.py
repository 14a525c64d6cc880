"""Production smoke test without Docker: build, start and probe the portal as its container does.

It creates a fresh PostgreSQL database, builds the static files with scripts/build.sh, starts
scripts/start-web.sh (migrations, seed, gunicorn) with the production variables of .env.example
on a free loopback port, and checks health, readiness, security headers, the login pages and
their hashed static files served by whitenoise, an API call with a token, and the JSON request
log. A second server whose database does not answer must stay healthy but not ready. Every
process it starts is stopped at the end; it exits non-zero and lists what failed.

    python scripts/smoke.py   (make smoke)

SMOKE_POSTGRES_URL names the PostgreSQL server (default postgres://root@127.0.0.1:5432/postgres);
the database orgportal_smoke is dropped and created on it. Redis at SMOKE_REDIS_URL (default
redis://127.0.0.1:6379/0), when it answers, serves as the shared cache of gunicorn's workers
(two by default).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
# The container's command (Dockerfile CMD, compose's web command): tests/orgportal/test_deploy.py
# checks that the three agree.
START_COMMAND = ["scripts/start-web.sh"]
BIN = Path(sys.executable).parent
DATABASE = "orgportal_smoke"
USERNAME = "smoke-api"
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")
STATIC_URL = re.compile(r"""(?:href|src)=["'](/static/[^"'?#]+)""")
ONE_YEAR = 365 * 24 * 3600
ADMIN_URL = os.environ.get("SMOKE_POSTGRES_URL", "postgres://root@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/0")


class SmokeFailure(Exception):
    pass


class Smoke:
    def __init__(self):
        self.failures = []
        self.processes = []
        self.workdir = Path(tempfile.mkdtemp(prefix="orgportal-smoke-"))
        self.redis_prefix = f"smoke-{secrets.token_hex(4)}"
        self.redis = False

    # -- checks -------------------------------------------------------------------------------

    def check(self, ok, what):
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures.append(what)
        return ok

    # -- processes ----------------------------------------------------------------------------

    def base_env(self):
        """Return the production variables of .env.example, with nothing from this shell."""
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "ENV_FILE": "",  # a developer's .env must not change what is tested
        }
        env.update(read_env_example())
        env.update(
            SECRET_KEY=secrets.token_urlsafe(50),
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS="https://localhost",
            STATIC_ROOT=str(self.workdir / "static"),
        )
        return env

    def run(self, command, env, what):
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise SmokeFailure(
                f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def start(self, name, env):
        """Start scripts/start-web.sh with ``env`` and wait until /healthz answers."""
        log_path = self.workdir / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed when the process is stopped
        process = subprocess.Popen(
            START_COMMAND,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((process, log))
        server = Server(env["PORT"], log_path)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SmokeFailure(f"{name} exited with {process.returncode}:\n{server.log()}")
            try:
                if server.get("/healthz").status == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.5)
        raise SmokeFailure(f"{name} did not answer /healthz within 120 s:\n{server.log()}")

    def stop_all(self):
        for process, log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            log.close()
        self.processes.clear()

    # -- the smoke test -----------------------------------------------------------------------

    def main(self):
        step("Fresh PostgreSQL database " + DATABASE)
        recreate_database(ADMIN_URL, DATABASE)
        database_url = urllib.parse.urlunsplit(
            urllib.parse.urlsplit(ADMIN_URL)._replace(path="/" + DATABASE)
        )

        env = self.base_env()
        env.update(DATABASE_URL=database_url, PORT=str(free_port()))
        env["GUNICORN_BIND"] = f"127.0.0.1:{env['PORT']}"
        self.redis = redis_answers(REDIS_URL)
        if self.redis:
            print(f"  Redis answers at {REDIS_URL}: the workers share it as the cache.")
            env.update(REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=self.redis_prefix)
        else:
            print(
                f"  Redis does not answer at {REDIS_URL}: each worker caches in its own memory "
                "(the organisation version is in the database)."
            )

        step("Build: translation catalogs and static files (scripts/build.sh)")
        self.run([str(ROOT / "scripts" / "build.sh")], env, "scripts/build.sh")
        static_root = Path(env["STATIC_ROOT"])
        self.check((static_root / "staticfiles.json").is_file(), "collectstatic wrote a manifest")

        step("Start: scripts/start-web.sh (migrate, seed, gunicorn) on " + env["GUNICORN_BIND"])
        server = self.start("web", env)
        self.check_health(server)
        self.check_login_pages(server, static_root)
        self.check_api(server, env)
        self.check_healthcheck_script(env)
        self.check_request_log(server)

        step("A second server whose database does not answer")
        down = dict(env, PORT=str(free_port()), ORGPORTAL_MIGRATE_ON_START="0")
        down["GUNICORN_BIND"] = f"127.0.0.1:{down['PORT']}"
        down["DATABASE_URL"] = f"postgres://root@127.0.0.1:{free_port()}/{DATABASE}"
        down_server = self.start("web-without-database", down)
        response = down_server.get("/healthz")
        self.check(response.status == 200, f"/healthz is 200 without a database ({response})")
        response = down_server.get("/readyz")
        self.check(
            response.status == 503 and response.json().get("reason") == "database unreachable",
            f"/readyz is 503 'database unreachable' without a database ({response})",
        )
        self.check("127.0.0.1" not in response.text, "/readyz does not reveal the database address")
        # With a token, as an API client calls: checking it needs the database. (Without
        # credentials the answer is 401 whatever the database: a read opens no transaction.)
        response = down_server.get(
            "/api/v1/departments/", headers={"Authorization": "Token " + "0" * 40}
        )
        self.check(
            response.status == 503
            and response.json().get("error", {}).get("code") == "database_unavailable",
            f"the API answers 503 database_unavailable in its error format ({response})",
        )
        # A visitor without a session is sent to the login page whatever the database: a page's
        # read opens no transaction. A session needs the database to be read.
        response = down_server.get("/")
        self.check(
            response.status == 302,
            f"a page sends a visitor without a session to log in without a database ({response})",
        )
        response = down_server.get("/", headers={"Cookie": "sessionid=" + "0" * 32})
        request_id = response.header("X-Request-ID")
        self.check(
            response.status == 500
            and bool(request_id)
            and request_id in response.text
            and "/static/css/portal." in response.text,
            f"a page answers the branded 500 page with its request id ({response})",
        )
        self.check_healthcheck_script(down)

    def check_health(self, server):
        step("Health and readiness")
        response = server.get("/healthz", https=False)
        self.check(
            response.status == 200 and response.json() == {"status": "ok"},
            f"/healthz over plain HTTP is 200 (exempt from the HTTPS redirect) ({response})",
        )
        self.check("no-store" in response.header("Cache-Control"), "/healthz is never cached")
        response = server.get("/readyz")
        expected = {"status": "ok", "cache": "ok"} if self.redis else {"status": "ok"}
        self.check(
            response.status == 200 and response.json() == expected,
            f"/readyz is 200 and {expected} ({response})",
        )

    def check_login_pages(self, server, static_root):
        step("Login pages, security headers and static files")
        response = server.get("/accounts/login/", https=False)
        self.check(
            response.status == 301 and response.header("Location").startswith("https://"),
            f"plain HTTP is redirected to HTTPS ({response})",
        )
        compressed = []
        for path in ("/accounts/login/", "/admin/login/"):
            response = server.get(path)
            if not self.check(response.status == 200, f"{path} renders ({response})"):
                continue
            headers = {
                "Strict-Transport-Security": f"max-age={ONE_YEAR}; includeSubDomains; preload",
                "X-Content-Type-Options": "nosniff",
                "X-Frame-Options": "DENY",
                "Referrer-Policy": "same-origin",
                "Cross-Origin-Opener-Policy": "same-origin",
            }
            for name, value in headers.items():
                self.check(
                    response.header(name) == value,
                    f"{path} sends {name}: {value} (got {response.header(name)!r})",
                )
            cookies = response.headers.get_all("Set-Cookie") or []
            self.check(
                any(c.startswith("csrftoken=") and "; Secure" in c for c in cookies),
                f"{path} sets a Secure CSRF cookie",
            )
            urls = sorted(set(STATIC_URL.findall(response.text)))
            self.check(bool(urls), f"{path} references static files")
            for url in urls:
                compressed += self.check_static_file(server, static_root, url)
        self.check(bool(compressed), "whitenoise serves a gzip variant of the pages' static files")

    def check_static_file(self, server, static_root, url):
        """Check one static URL; return [url] if a gzip variant was served for it."""
        self.check(bool(HASHED_NAME.search(url)), f"{url} has a hashed name")
        response = server.get(url)
        cache_control = response.header("Cache-Control")
        max_age = re.search(r"max-age=(\d+)", cache_control)
        self.check(
            response.status == 200
            and bool(max_age)
            and int(max_age.group(1)) >= ONE_YEAR
            and "immutable" in cache_control,
            f"{url} is 200 with a long immutable cache ({response}, {cache_control!r})",
        )
        if not (static_root / (url.removeprefix("/static/") + ".gz")).is_file():
            return []
        response = server.get(url, headers={"Accept-Encoding": "gzip"})
        self.check(
            response.status == 200 and response.header("Content-Encoding") == "gzip",
            f"{url} is served gzip-compressed to a client that accepts it ({response})",
        )
        return [url]

    def check_api(self, server, env):
        step("API with a token")
        manage = [str(BIN / "python"), "manage.py"]
        self.run(
            [
                *manage,
                "shell",
                "-c",
                "from django.contrib.auth import get_user_model; "
                f"get_user_model().objects.get_or_create(username={USERNAME!r})",
            ],
            env,
            "creating the API user",
        )
        output = self.run([*manage, "create_api_token", USERNAME], env, "create_api_token")
        keys = re.findall(r"\b[0-9a-f]{40}\b", output)
        if not self.check(bool(keys), f"create_api_token printed a token ({output.strip()!r})"):
            return
        path = "/api/v1/departments/tree/"
        response = server.get(path)
        self.check(response.status in (401, 403), f"{path} without a token is refused ({response})")
        response = server.get(path, headers={"Authorization": f"Token {keys[-1]}"})
        self.check(response.status == 200, f"{path} with a token is 200 ({response})")
        self.check("digital-operations" in response.text, f"{path} lists the seed departments")
        self.api_path = path

    def check_healthcheck_script(self, env):
        result = subprocess.run(
            [str(BIN / "python"), "scripts/healthcheck.py"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        self.check(
            result.returncode == 0,
            f"the container's HEALTHCHECK (scripts/healthcheck.py) passes on port {env['PORT']} "
            f"{result.stderr.strip()}",
        )

    def check_request_log(self, server):
        step("JSON request log on stdout")
        time.sleep(0.5)  # let the workers flush the last lines
        lines = [line for line in server.log().splitlines() if line.startswith("{")]
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                self.check(False, f"log line is JSON: {line[:200]}")
        requests = [e for e in entries if e.get("logger") == "orgportal.requests"]
        self.check(bool(requests), f"requests are logged as JSON lines ({len(requests)} lines)")
        api_path = getattr(self, "api_path", None)
        if api_path:
            api = [e for e in requests if e.get("path") == api_path and e.get("status") == 200]
            self.check(
                any(
                    e.get("method") == "GET"
                    and e.get("user") == USERNAME
                    and isinstance(e.get("duration_ms"), int | float)
                    and e.get("request_id")
                    for e in api
                ),
                f"the API call is logged with method, path, status, duration and user ({api})",
            )
        self.check(
            not any(e.get("path") == "/healthz" and e.get("status") == 200 for e in requests),
            "successful health checks stay out of the INFO log",
        )

    def cleanup(self):
        self.stop_all()
        try:
            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
            keys = list(client.scan_iter(match=f"{self.redis_prefix}:*"))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass
        shutil.rmtree(self.workdir, ignore_errors=True)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}

    def header(self, name):
        return self.headers.get(name) or ""

    def __repr__(self):
        return f"HTTP {self.status}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Server:
    def __init__(self, port, log_path):
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path

    def get(self, path, *, https=True, headers=None):
        """GET ``path``, as the TLS-terminating proxy forwards it unless ``https`` is false."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        if https:
            request.add_header("X-Forwarded-Proto", "https")
        try:
            with _opener.open(request, timeout=30) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def log(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def read_env_example():
    """Return the variables that .env.example sets (its commented lines are alternatives)."""
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip()
    return values


def recreate_database(admin_url, name):
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url, name):
    try:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as error:
        print(f"  (could not drop {name}: {error})")


def free_port():
    """Return a loopback port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url):
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def step(text):
    print(f"\n--> {text}", flush=True)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    smoke = Smoke()
    try:
        smoke.main()
    except SmokeFailure as error:
        smoke.failures.append(str(error))
    finally:
        smoke.cleanup()
        drop_database(ADMIN_URL, DATABASE)
    if smoke.failures:
        print(f"\nSmoke test FAILED ({len(smoke.failures)}):", file=sys.stderr)
        for failure in smoke.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    print("\nSmoke test passed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
