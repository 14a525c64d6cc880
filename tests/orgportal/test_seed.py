"""The seed organisation in data/ holds the whole seed document, in its order."""

from departments.models import Department
from roles.models import Duty, Role


def test_seed_has_one_root_eight_departments_nineteen_roles_sixty_duties(seed_org):
    assert seed_org.code == "company"
    assert seed_org.name == "互联网营销企业"
    assert Department.objects.root_nodes().count() == 1
    assert Department.objects.count() == 9
    assert seed_org.get_children().count() == 8
    assert Role.objects.count() == 19
    assert Duty.objects.count() == 60
