"""One core per gunicorn worker: scripts/gunicorn.conf.py's post_fork hook.

A worker's threads take turns at the GIL. When the operating system spreads them over several
cores, every hand-over of the GIL wakes a thread on another core, and a worker answers the
detail API about half as fast (docs/deploy.md, "Workers and threads", measures it). Kept on one
core, the hand-overs are cheap; the other cores are left to the other workers, PostgreSQL and
the rest. GUNICORN_PIN_WORKERS=0 leaves the choice to the operating system.
"""

import os


def least_used_cpu(allowed, taken):
    """Return the CPU of ``allowed`` that the fewest of ``taken`` (the CPUs the other workers
    are pinned to) use; the lowest such number."""
    counts = dict.fromkeys(allowed, 0)
    for cpu in taken:
        if cpu in counts:
            counts[cpu] += 1
    return min(sorted(counts), key=counts.__getitem__)


def pin_worker(server, worker):
    """Pin the calling (newly forked) ``worker`` to the CPU its siblings use least.

    Does nothing where the process may run on one CPU only, or the system cannot pin.
    """
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
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
    cpu = least_used_cpu(allowed, taken)
    os.sched_setaffinity(0, {cpu})
    worker.log.info("Worker %s runs on CPU %s", worker.pid, cpu)
    return cpu
