"""gunicorn workers pinned one to a core (orgportal/cpu_affinity.py, scripts/gunicorn.conf.py)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orgportal import cpu_affinity
from orgportal.cpu_affinity import current_cpu, least_used_cpu, pin_mode, pin_worker

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def test_the_least_used_cpu_is_chosen_and_the_lowest_of_a_tie():
    assert least_used_cpu({0, 1, 2, 3}, []) == 0
    assert least_used_cpu({0, 1, 2, 3}, [0, 1]) == 2
    assert least_used_cpu({0, 1}, [0, 1, 0]) == 1
    # A sibling pinned outside the allowed CPUs (another container's mask) counts for none.
    assert least_used_cpu({2, 3}, [0, 0, 2]) == 3


def test_a_worker_stays_on_the_cpu_it_runs_on_when_no_sibling_has_it():
    assert least_used_cpu({0, 1, 2, 3}, [0], preferred=2) == 2
    assert least_used_cpu({0, 1, 2, 3}, [2], preferred=2) == 0
    assert least_used_cpu({0, 1}, [], preferred=None) == 0
    assert least_used_cpu({0, 1}, [], preferred=7) == 0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux's /proc only")
def test_the_current_cpu_is_one_the_process_may_run_on():
    assert current_cpu() in os.sched_getaffinity(0)


@pytest.mark.parametrize(
    ("value", "mode"),
    [("auto", "auto"), ("", None), ("1", "1"), ("on", "1"), ("0", "0"), (" Off ", "0")],
)
def test_gunicorn_pin_workers_is_auto_1_or_0(value, mode):
    if mode is None:
        with pytest.raises(ValueError, match="GUNICORN_PIN_WORKERS must be auto, 1 or 0"):
            pin_mode(value)
    else:
        assert pin_mode(value) == mode


class FakeLog:
    def __init__(self):
        self.lines = []

    def info(self, message, *args):
        self.lines.append(message % args)


class FakeWorker:
    pid = 4242

    def __init__(self):
        self.log = FakeLog()


class FakeServer:
    def __init__(self, num_workers):
        self.num_workers = num_workers
        self.WORKERS = {}


@pytest.mark.parametrize(
    ("mode", "cpus", "workers", "pinned"),
    [
        ("auto", {0, 1}, 1, True),
        ("auto", {0, 1, 2, 3}, 2, True),
        # A large shared host: its scheduler moves the workers.
        ("auto", set(range(16)), 2, False),
        ("1", set(range(16)), 2, True),
        ("0", {0, 1}, 2, False),
        # Nothing to choose from.
        ("1", {3}, 1, False),
    ],
)
def test_when_a_worker_is_pinned(monkeypatch, mode, cpus, workers, pinned):
    calls = []
    monkeypatch.setattr(cpu_affinity.os, "sched_getaffinity", lambda pid: cpus, raising=False)
    monkeypatch.setattr(
        cpu_affinity.os, "sched_setaffinity", lambda pid, mask: calls.append(mask), raising=False
    )
    monkeypatch.setattr(cpu_affinity, "current_cpu", lambda: None)
    worker = FakeWorker()

    cpu = pin_worker(FakeServer(workers), worker, mode)

    if pinned:
        assert cpu == min(cpus) and calls == [{cpu}]
        assert worker.log.lines == [f"Worker 4242 runs on CPU {cpu}"]
    else:
        assert cpu is None and calls == [] and worker.log.lines == []


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


def _worker_masks(workers, pin):
    """Serve with ``workers`` workers and GUNICORN_PIN_WORKERS=``pin``; return each worker's
    pid and CPUs, and the server's log."""
    process, pids = _serve(workers, pin)
    try:
        masks = [os.sched_getaffinity(pid) for pid in pids]
    finally:
        process.terminate()
        log = process.communicate(timeout=30)[0].decode()
    return pids, masks, log


needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="pinning needs a system that pins, and two CPUs to choose from",
)


@needs_two_cpus
def test_each_worker_runs_on_a_core_of_its_own():
    allowed = os.sched_getaffinity(0)
    workers, masks, log = _worker_masks(2, "1")
    assert all(len(mask) == 1 for mask in masks), masks
    cpus = [next(iter(mask)) for mask in masks]
    assert len(set(cpus)) == 2 and set(cpus) <= allowed
    for pid, cpu in zip(workers, cpus, strict=True):
        assert f"Worker {pid} runs on CPU {cpu}" in log


@needs_two_cpus
def test_gunicorn_pin_workers_0_leaves_the_workers_to_the_system():
    _, masks, log = _worker_masks(1, "0")
    assert masks == [os.sched_getaffinity(0)]
    assert "runs on CPU" not in log
