"""Run a command and print its wall time and peak memory as JSON, like GNU time's %e and %M.

    python bench/peak_memory.py TIMEOUT_SECONDS COMMAND...

A child of the benchmark itself would report the benchmark's own memory as its peak (Linux
counts the memory a child had before it started the command), so the benchmark starts this
small process, which starts the command. The command is killed after TIMEOUT_SECONDS (0: no
limit) and reported unfinished; its standard output is discarded, its errors are passed on.
"""

import json
import resource
import subprocess
import sys
import time


def main():
    timeout = float(sys.argv[1]) or None
    command = sys.argv[2:]
    started = time.perf_counter()
    try:
        returncode = subprocess.run(command, stdout=subprocess.DEVNULL, timeout=timeout).returncode
        finished = True
    except subprocess.TimeoutExpired:
        returncode, finished = None, False
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {"seconds": seconds, "peak_mib": peak_kib / 1024, "finished": finished}
    print(json.dumps({**result, "returncode": returncode}))


if __name__ == "__main__":
    main()
