"""Concurrent API moves against the live server keep the nested set valid (PostgreSQL)."""

import json
import random
import threading
import urllib.error
import urllib.request

import pytest
from rest_framework.authtoken.models import Token

from departments.models import POSITIONS
from departments.services import department_tree_rebuild, tree_problems
from tests.factories import DepartmentFactory, company_root

THREADS = 8
REQUESTS_PER_THREAD = 15

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def send(url, token, method, body):
    """Send a JSON request with the token; return the status code."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def client(base_url, token, codes, seed, statuses):
    rng = random.Random(seed)
    for _ in range(REQUESTS_PER_THREAD):
        code, target = rng.choice(codes), rng.choice(codes)
        if rng.random() < 0.75:
            body = {"target": target, "position": rng.choice(POSITIONS)}
            status = send(f"{base_url}/api/v1/departments/{code}/move/", token, "POST", body)
        else:
            body = {"parent": target}
            status = send(f"{base_url}/api/v1/departments/{code}/", token, "PATCH", body)
        statuses.append(status)


def test_concurrent_api_moves_keep_the_tree_valid(live_server, superuser):
    root = company_root()
    codes = []
    for number in range(4):
        top = DepartmentFactory(code=f"top-{number}", parent=root)
        codes.append(top.code)
        for child in range(3):
            codes.append(DepartmentFactory(code=f"top-{number}-{child}", parent=top).code)
    token = Token.objects.create(user=superuser).key
    statuses = []
    threads = [
        threading.Thread(target=client, args=(live_server.url, token, codes, seed, statuses))
        for seed in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(statuses) == THREADS * REQUESTS_PER_THREAD
    # A move into its own subtree is refused with 400; nothing else may fail.
    assert set(statuses) <= {200, 400}
    assert statuses.count(200) > len(statuses) // 2
    assert tree_problems() == []
    assert department_tree_rebuild() == 0
