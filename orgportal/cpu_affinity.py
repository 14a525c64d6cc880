"""One core per gunicorn worker: scripts/gunicorn.conf.py's post_fork hook.

A worker's threads take turns at the GIL. When the operating system spreads them over several
cores, every hand-over of the GIL wakes a thread on another core, and a worker answers the
detail API far more slowly (docs/deploy.md, "Workers and threads", measures it). Kept on one
core, the hand-overs are cheap; the other cores are left to the other workers, PostgreSQL and
the rest.

GUNICORN_PIN_WORKERS chooses: ``auto`` (the default) pins where the workers are about as many
as the cores they may use (at least half as many: a small server or a container given its own
cores), and leaves a large shared host's scheduler free to move them; ``1`` always pins, ``0``
never does.
"""

import os

MODES = ("auto", "1", "0")


def pin_mode(value):
    """Return GUNICORN_PIN_WORKERS' ``value`` as one of MODES, or raise ValueError."""
    mode = {"true": "1", "yes": "1", "on": "1", "false": "0", "no": "0", "off": "0"}.get(
        value.strip().lower(), value.strip().lower()
    )
    if mode not in MODES:
        raise ValueError(f"GUNICORN_PIN_WORKERS must be auto, 1 or 0, not {value!r}.")
    return mode


def least_used_cpu(allowed, taken, preferred=None):
    """Return the CPU of ``allowed`` that the fewest of ``taken`` (the CPUs the other workers
    are pinned to) use: ``preferred`` (where the worker runs now) when it is one of those,
    else the lowest such number."""
    counts = dict.fromkeys(allowed, 0)
    for cpu in taken:
        if cpu in counts:
            counts[cpu] += 1
    fewest = min(counts.values())
    if preferred in counts and counts[preferred] == fewest:
        return preferred
    return min(cpu for cpu, count in counts.items() if count == fewest)


def current_cpu():
    """Return the CPU the calling process last ran on (Linux), or None."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # The command may hold spaces and parentheses: the fields follow its last ")";
            # "processor" is the 39th field, the 37th after the command.
            return int(stat.read().rpartition(")")[2].split()[36])
    except (OSError, ValueError, IndexError):
        return None


def pin_worker(server, worker, mode="auto"):
    """Pin the calling (newly forked) ``worker`` to the CPU its siblings use least; return it.

    Returns None without pinning where ``mode`` says not to, where the process may run on
    one CPU only, or where the system cannot pin.
    """
    if mode == "0" or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2 or (mode == "auto" and len(allowed) > 2 * server.num_workers):
        return None
    taken = []
    for pid in list(server.WORKERS):
        if pid == worker.pid:
            continue
        try:
            mask = os.sched_getaffinity(pid)
        except OSError:  # a worker that has just exited
            continue
        if len(mask) == 1:
            taken.extend(mask)
    cpu = least_used_cpu(allowed, taken, current_cpu())
    os.sched_setaffinity(0, {cpu})
    worker.log.info("Worker %s runs on CPU %s", worker.pid, cpu)
    return cpu
