"""Exit 0 when the portal's /healthz answers 200: the container's HEALTHCHECK (no curl needed).

It asks as a proxy would: with a host name from ALLOWED_HOSTS, since Django refuses others.
"""

import os
import sys
import urllib.request


def probe_host():
    """Return a host name that ALLOWED_HOSTS accepts."""
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main():
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": probe_host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            status = response.status
    except OSError as error:
        sys.exit(f"unhealthy: {error}")
    if status != 200:
        sys.exit(f"unhealthy: /healthz answered {status}")


if __name__ == "__main__":
    main()
