"""gunicorn workers pinned one to a core (orgportal/cpu_affinity.py, scripts/gunicorn.conf.py)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orgportal.cpu_affinity import least_used_cpu

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_the_least_used_cpu_is_chosen_and_the_lowest_of_a_tie():
    assert least_used_cpu({0, 1, 2, 3}, []) == 0
    assert least_used_cpu({0, 1, 2, 3}, [0, 1]) == 2
    assert least_used_cpu({0, 1}, [0, 1, 0]) == 1
    # A sibling pinned outside the allowed CPUs (another container's mask) counts for none.
    assert least_used_cpu({2, 3}, [0, 0, 2]) == 3


def _children(pid):
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may hold spaces and parentheses: the fields follow its last ")".
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def _serve(workers, pin):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": "2",
        "GUNICORN_PIN_WORKERS": pin,
        "LOG_FORMAT": "text",
    }
    process = subprocess.Popen(
        [str(GUNICORN), "--config", "scripts/gunicorn.conf.py", "bench.constant_app:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                pass
            workers_now = _children(process.pid)
            if len(workers_now) == workers:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"gunicorn did not start: {process.communicate()[0].decode()}")
        time.sleep(0.2)
    return process, workers_now


def _stop(process):
    process.terminate()
    return process.communicate(timeout=30)[0].decode()


needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="pinning needs a system that pins, and two CPUs to choose from",
)


@needs_two_cpus
def test_each_worker_runs_on_a_core_of_its_own():
    allowed = os.sched_getaffinity(0)
    process, workers = _serve(2, "1")
    try:
        masks = [os.sched_getaffinity(pid) for pid in workers]
    finally:
        log = _stop(process)
    assert all(len(mask) == 1 for mask in masks), masks
    cpus = [next(iter(mask)) for mask in masks]
    assert len(set(cpus)) == 2 and set(cpus) <= allowed
    for pid, cpu in zip(workers, cpus, strict=True):
        assert f"Worker {pid} runs on CPU {cpu}" in log


@needs_two_cpus
def test_gunicorn_pin_workers_0_leaves_the_workers_to_the_system():
    allowed = os.sched_getaffinity(0)
    process, workers = _serve(1, "0")
    try:
        masks = [os.sched_getaffinity(pid) for pid in workers]
    finally:
        log = _stop(process)
    assert masks == [allowed]
    assert "runs on CPU" not in log
