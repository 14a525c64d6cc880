"""Throughput and worker memory under gunicorn, measured with wrk over the loopback only.

The portal runs with production's scripts/gunicorn.conf.py (request logging on) in issue 11's
configuration, one worker and eight threads (BENCH_WORKERS, BENCH_THREADS choose others; the
production default, two workers of four threads, is compared in docs/deploy.md), except that
workers are not recycled during a run (--max-requests 0) and a request may take up to ten
minutes.
Every server started here is stopped here; every wrk run is bounded in time.
"""

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
WRK = shutil.which("wrk")
# gunicorn's processes and threads for the throughput line: issue 11's goal is stated for one
# worker of eight threads.
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict, log_path: Path, ready_path: str = "/healthz"):
    """Serve ``app`` on a free loopback port; yield (base URL, master pid)."""
    port = free_port()
    env = {
        **env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": str(THREADS),
        # The whole tree at 50,000 departments takes longer than production's 30 s.
        "GUNICORN_TIMEOUT": "600",
    }
    command = [
        str(GUNICORN),
        "--config",
        "scripts/gunicorn.conf.py",
        "--max-requests",
        "0",
        app,
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log_path}") from None
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(url: str, *, seconds: int, headers: dict | None = None) -> dict:
    """Run wrk against ``url`` for ``seconds``; return requests per second and latencies."""
    command = [WRK, "-t1", f"-c{THREADS}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"wrk got {errors.group(1)} error responses from {url}:\n{output}")
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+)(us|ms|s)", output)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+)(us|ms|s)", output)),
    }


def _ms(match):
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def throughput(url: str, *, runs: int, seconds: int, headers: dict | None = None) -> dict:
    """Warm up, then run wrk ``runs`` times; return the median and the lowest rate."""
    wrk(url, seconds=2, headers=headers)
    results = [wrk(url, seconds=seconds, headers=headers) for _ in range(runs)]
    rates = [result["rps"] for result in results]
    return {
        "rps": statistics.median(rates),
        "worst_rps": min(rates),
        "p50_ms": statistics.median(result["p50_ms"] for result in results),
        "p99_ms": max(result["p99_ms"] for result in results),
        "runs": runs,
    }


def worker_memory(master_pid: int) -> tuple[float, float]:
    """Return the (current, peak) resident memory of the master's worker, in MiB."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()

    def mib(field):
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024

    return mib("VmRSS"), mib("VmHWM")


def fetch(url: str, headers: dict | None = None, timeout: float = 120) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def peak_memory_of(command: list[str], env: dict, *, timeout: float = 0) -> dict:
    """Run ``command``; return its wall time, peak memory (MiB) and whether it finished.

    A command still running after ``timeout`` seconds (0: no limit) is stopped and reported
    unfinished.
    """
    measured = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peak_memory.py"), str(timeout), *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(measured.stdout)
    if result["finished"] and result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{measured.stderr}")
    return result
