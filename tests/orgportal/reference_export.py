"""The exporter as it was before the streaming export: the whole organisation in memory.

Kept as the reference that tests compare the streaming export with, byte for byte.
"""

from django.db.models import Exists, OuterRef, Prefetch

from departments.models import Department
from orgportal.guide.services import profile_file_values
from orgportal.orgfiles.orgfile import DEPARTMENT_TEXTS, DUTY_TEXTS, ROLE_TEXTS, dump_org_file
from orgportal.orgfiles.services import instance_values, text_keys
from orgportal.orgfiles.teamfile import teams_data
from roles.models import Duty, Role


def reference_export() -> str:
    return dump_org_file(reference_data())


def reference_data(*, include_archived: bool = True) -> dict:
    duties = Prefetch("duties", queryset=Duty.objects.order_by("sort_order", "pk"))
    roles = Role.objects.select_related("reports_to").prefetch_related(duties)
    departments = Department.objects.all()
    if not include_archived:
        visible_boss = Role.objects.visible().filter(pk=OuterRef("reports_to_id"))
        roles = roles.filter(is_active=True).annotate(reports_to_visible=Exists(visible_boss))
        departments = departments.visible()
    roles = Prefetch("roles", queryset=roles.order_by("sort_order", "pk"))
    nodes = departments.prefetch_related(roles).get_cached_trees()
    if not nodes:
        return {}
    # The organisation profile closes the root mapping, then project teams when there are any.
    data = {**_department_data(nodes[0]), **profile_file_values()}
    teams = teams_data(include_archived=include_archived)
    if teams:
        data["teams"] = teams
    return data


def _texts_data(instance, fields):
    data = {}
    for key, value in instance_values(instance, text_keys(fields)).items():
        if value or key in fields:
            data[key] = value
    return data


def _department_data(department):
    data = {"code": department.code, **_texts_data(department, DEPARTMENT_TEXTS)}
    if not department.is_active:
        data["is_active"] = False
    data["roles"] = [_role_data(role) for role in department.roles.all()]
    data["departments"] = [_department_data(child) for child in department.get_children()]
    return data


def _role_data(role):
    data = {"code": role.code, **_texts_data(role, ROLE_TEXTS)}
    if role.headcount is not None:
        data["headcount"] = role.headcount
    data["reports_to"] = (
        role.reports_to.code
        if role.reports_to and getattr(role, "reports_to_visible", True)
        else None
    )
    if not role.is_active:
        data["is_active"] = False
    data["duties"] = [_texts_data(duty, DUTY_TEXTS) for duty in role.duties.all()]
    return data
