"""A client that knows only /api/schema/ and a token reads, searches and moves departments."""

from io import StringIO

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from departments.models import Department
from departments.services import tree_problems


def walk(node):
    yield node
    for child in node["children"]:
        yield from walk(child)


def test_a_client_reads_the_tree_finds_roles_under_a_department_and_moves_one(seed_org, hr_editor):
    out = StringIO()
    call_command("create_api_token", "hr", stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = {
        operation["operationId"]: path
        for path, item in schema["paths"].items()
        for operation in item.values()
    }

    tree = client.get(paths["departments_tree"], {"include_roles": "true"}).json()
    departments = list(walk(tree))
    assert len(departments) == 9
    assert sum(len(department["roles"]) for department in departments) == 19

    digital = next(d for d in departments if d["name"] == "数字运营部")
    roles = client.get(paths["roles_list"], {"under": digital["code"]}).json()
    assert [role["title"] for role in roles["results"]] == [
        "SEO/SEM优化师",
        "社交媒体运营",
        "电商运营",
    ]

    move = paths["departments_move"].replace("{code}", "finance")
    moved = client.post(move, {"target": digital["code"], "position": "first-child"})
    assert moved.status_code == 200
    assert moved.json()["parent"] == "digital-operations"
    assert Department.objects.get(code="finance").parent.code == "digital-operations"
    assert tree_problems() == []
