"""Who may do what through the API: every endpoint and method for every kind of user."""

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from rest_framework.test import APIClient

from departments.models import Department
from roles.models import Duty, Role
from tests.conftest import token_client
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory, company_root

NEW_DEPARTMENT = {"code": "new-dept", "name": "新部门", "parent": "company"}
SPARE_DEPARTMENT = {"code": "spare", "name": "备用部", "parent": "company"}
MOVE = {"target": "finance", "position": "left"}
NEW_ROLE = {"code": "new-role", "title": "新岗位", "department": "finance"}
SPARE_ROLE = {"code": "spare-role", "title": "备用", "department": "finance"}

# (method, url, body, kind); {duty} is the id of the spare duty.
REQUESTS = [
    ("get", "/api/v1/departments/", None, "read"),
    ("post", "/api/v1/departments/", NEW_DEPARTMENT, "add"),
    ("get", "/api/v1/departments/spare/", None, "read"),
    ("put", "/api/v1/departments/spare/", SPARE_DEPARTMENT, "change"),
    ("patch", "/api/v1/departments/spare/", {"name": "备用"}, "change"),
    ("delete", "/api/v1/departments/spare/", None, "delete"),
    ("get", "/api/v1/departments/tree/", None, "read"),
    ("get", "/api/v1/departments/spare/ancestors/", None, "read"),
    ("get", "/api/v1/departments/company/descendants/", None, "read"),
    ("get", "/api/v1/departments/company/children/", None, "read"),
    ("post", "/api/v1/departments/spare/move/", MOVE, "change"),
    ("get", "/api/v1/roles/", None, "read"),
    ("post", "/api/v1/roles/", NEW_ROLE, "add"),
    ("get", "/api/v1/roles/spare-role/", None, "read"),
    ("put", "/api/v1/roles/spare-role/", SPARE_ROLE, "change"),
    ("patch", "/api/v1/roles/spare-role/", {"headcount": 2}, "change"),
    ("delete", "/api/v1/roles/spare-role/", None, "delete"),
    ("get", "/api/v1/duties/", None, "read"),
    ("post", "/api/v1/duties/", {"role": "spare-role", "text": "新职责"}, "add"),
    ("get", "/api/v1/duties/{duty}/", None, "read"),
    ("put", "/api/v1/duties/{duty}/", {"role": "spare-role", "text": "改写的职责"}, "change"),
    ("patch", "/api/v1/duties/{duty}/", {"area": "新方向"}, "change"),
    ("delete", "/api/v1/duties/{duty}/", None, "delete"),
    ("get", "/api/v1/export/", None, "export"),
    # Archived items: only users who may change them see them, as on the pages.
    ("get", "/api/v1/departments/archived/", None, "read archived"),
    ("get", "/api/v1/departments/archived/children/", None, "read archived"),
    ("get", "/api/v1/roles/archived-role/", None, "read archived"),
    ("get", "/api/v1/duties/{archived_duty}/", None, "read archived"),
]

EXPECTED = {
    "anonymous": {"read": 401, "add": 401, "change": 401, "delete": 401, "export": 401},
    "viewer": {"read": 200, "add": 403, "change": 403, "delete": 403, "export": 403},
    "hr_editor": {"read": 200, "add": 201, "change": 200, "delete": 403, "export": 200},
    "superuser": {"read": 200, "add": 201, "change": 200, "delete": 204, "export": 200},
}
for _who, _read_archived in (("anonymous", 401), ("viewer", 404), ("hr_editor", 200)):
    EXPECTED[_who]["read archived"] = _read_archived
EXPECTED["superuser"]["read archived"] = 200
PUBLIC_READ = {
    "read": 200,
    "read archived": 404,
    "add": 401,
    "change": 401,
    "delete": 401,
    "export": 401,
}


@pytest.fixture
def spares(db):
    """A small organisation whose department, role and duty every request may change or delete."""
    root = company_root()
    finance = DepartmentFactory(code="finance", parent=root)
    DepartmentFactory(code="spare", parent=root)
    role = RoleFactory(code="spare-role", department=finance)
    archived = DepartmentFactory(code="archived", parent=root, is_active=False)
    archived_role = RoleFactory(code="archived-role", department=archived)
    return {"duty": DutyFactory(role=role).pk, "archived_duty": DutyFactory(role=archived_role).pk}


def client_for(request, who):
    """Sign in a viewer with a session, as a browser does; HR and superusers use tokens."""
    client = APIClient()
    if who == "viewer":
        client.force_login(request.getfixturevalue("viewer"))
    elif who != "anonymous":
        return token_client(request.getfixturevalue(who))
    return client


def send(client, method, url, body, spares):
    return getattr(client, method)(url.format(**spares), body)


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize(
    ("method", "url", "body", "kind"),
    REQUESTS,
    ids=[f"{method.upper()} {url}" for method, url, _body, _kind in REQUESTS],
)
def test_permission_matrix(request, spares, who, method, url, body, kind):
    response = send(client_for(request, who), method, url, body, spares)
    assert response.status_code == EXPECTED[who][kind], response.content
    if response.status_code >= 400:
        assert response.json()["error"]["status"] == response.status_code


@override_settings(ORGPORTAL_PUBLIC_READ=True)
@pytest.mark.parametrize(
    ("method", "url", "body", "kind"),
    REQUESTS,
    ids=[f"{method.upper()} {url}" for method, url, _body, _kind in REQUESTS],
)
def test_public_read_lets_anonymous_clients_read_but_not_write(spares, method, url, body, kind):
    response = send(APIClient(), method, url, body, spares)
    assert response.status_code == PUBLIC_READ[kind], response.content


def test_anonymous_requests_are_told_to_send_a_token(spares):
    response = APIClient().get("/api/v1/departments/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_bad_token_is_a_401(spares):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/departments/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_session_writes_need_the_csrf_token(spares, hr_editor):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(hr_editor)
    response = client.patch("/api/v1/departments/finance/", {"tagline": "新"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]
    assert Department.objects.get(code="finance").tagline != "新"


def test_a_user_given_delete_rights_may_delete(hr_editor, spares):
    hr_editor.user_permissions.add(Permission.objects.get(codename="delete_duty"))
    client = token_client(hr_editor)
    assert client.delete(f"/api/v1/duties/{spares['duty']}/").status_code == 204
    assert client.delete("/api/v1/roles/spare-role/").status_code == 403
    assert not Duty.objects.filter(pk=spares["duty"]).exists()
    assert Role.objects.filter(code="spare-role").exists()


def test_unsupported_methods_are_405_even_without_the_permission(spares, viewer):
    client = token_client(viewer)
    assert client.delete("/api/v1/departments/").status_code == 405
    assert client.post("/api/v1/departments/tree/", {}).status_code == 405
    response = client.post("/api/v1/export/", {})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
