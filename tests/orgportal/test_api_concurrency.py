"""Concurrent API writes against the live server keep the nested set valid and answer no 5xx
(PostgreSQL): creates, moves, patches and deletes of departments, roles and duties."""

import json
import random
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from rest_framework.authtoken.models import Token

from departments.models import POSITIONS, Department
from departments.services import department_tree_rebuild, tree_problems
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, company_root

THREADS = 8
REQUESTS_PER_THREAD = 25
# Refusals a race may cause: 400 (a target deleted meanwhile, a move into its own subtree),
# 404 (the object was deleted meanwhile), 409 (a delete of a department that has children).
ANSWERS = {200, 201, 204, 400, 404, 409}

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def send(url, token, method, body=None):
    """Send a JSON request with the token; return the status code and the decoded body."""
    request = urllib.request.Request(
        url,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Load:
    """A random mix of API writes from one client thread; what it did is recorded."""

    def __init__(self, base_url, token, codes, roles, seed):
        self.api = f"{base_url}/api/v1"
        self.token = token
        self.codes = codes
        self.roles = roles
        self.rng = random.Random(seed)
        self.answers = []
        self.deleted = []

    def run(self):
        for _ in range(REQUESTS_PER_THREAD):
            operation = self.rng.choice(
                [self.create, self.move, self.patch_parent, self.patch_name, self.delete]
                + [self.patch_role, self.delete_role, self.add_duty]
            )
            self.answers.append((operation.__name__, *operation()))

    def send(self, method, path, body=None):
        return send(f"{self.api}/{path}", self.token, method, body)

    def create(self):
        code = f"new-{uuid.uuid4().hex[:10]}"
        answer = self.send(
            "POST", "departments/", {"code": code, "name": "新", "parent": self.pick()}
        )
        if answer[0] == 201:
            self.codes.append(code)
        return answer

    def move(self):
        body = {"target": self.pick(), "position": self.rng.choice(POSITIONS)}
        return self.send("POST", f"departments/{self.pick()}/move/", body)

    def patch_parent(self):
        return self.send("PATCH", f"departments/{self.pick()}/", {"parent": self.pick()})

    def patch_name(self):
        return self.send("PATCH", f"departments/{self.pick()}/", {"name": f"改{self.rng.random()}"})

    def delete(self):
        code = self.pick()
        answer = self.send("DELETE", f"departments/{code}/")
        if answer[0] == 204:
            self.deleted.append(("department", code))
        return answer

    def patch_role(self):
        return self.send("PATCH", f"roles/{self.rng.choice(self.roles)}/", {"title": "改"})

    def delete_role(self):
        code = self.rng.choice(self.roles)
        answer = self.send("DELETE", f"roles/{code}/")
        if answer[0] == 204:
            self.deleted.append(("role", code))
        return answer

    def add_duty(self):
        return self.send("POST", "duties/", {"role": self.rng.choice(self.roles), "text": "新职责"})

    def pick(self):
        return self.rng.choice(self.codes)


def test_concurrent_api_writes_answer_no_5xx_and_keep_the_tree_valid(live_server, superuser):
    root = company_root()
    codes, roles = [], []
    for number in range(4):
        top = DepartmentFactory(code=f"top-{number}", parent=root)
        codes.append(top.code)
        for child in range(3):
            department = DepartmentFactory(code=f"top-{number}-{child}", parent=top)
            codes.append(department.code)
            role = RoleFactory(code=f"role-{number}-{child}", department=department)
            DutyFactory(role=role)
            roles.append(role.code)
    token = Token.objects.create(user=superuser).key
    loads = [Load(live_server.url, token, codes, roles, seed) for seed in range(THREADS)]
    threads = [threading.Thread(target=load.run) for load in loads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    answers = [answer for load in loads for answer in load.answers]
    assert len(answers) == THREADS * REQUESTS_PER_THREAD
    unexpected = [answer for answer in answers if answer[1] not in ANSWERS]
    assert unexpected == []
    for status in (200, 204):
        assert any(answer[1] == status for answer in answers), f"no {status}: proves nothing"
    for answer in answers:
        if answer[1] >= 400:
            assert json.loads(answer[2])["error"]["status"] == answer[1]
    deleted = [item for load in loads for item in load.deleted]
    assert not Department.objects.filter(
        code__in=[code for kind, code in deleted if kind == "department"]
    ).exists(), "a deleted department came back"
    deleted_roles = [code for kind, code in deleted if kind == "role"]
    assert not Role.objects.filter(code__in=deleted_roles).exists(), "a deleted role came back"
    assert not Duty.objects.filter(role__code__in=deleted_roles).exists()
    assert tree_problems() == []
    assert department_tree_rebuild() == 0
