"""Translated content: the migration of the old columns, fallbacks, automatic traditional
Chinese that a hand-written text always beats, and the command that converts again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from departments.models import Department
from orgportal.i18n import columns, localized, to_traditional
from roles.models import Duty, Role
from tests.factories import DepartmentFactory, DutyFactory, RoleFactory

BEFORE = [("departments", "0004_archived_range_index"), ("roles", "0004_headcount_unknown")]
AFTER = [("departments", "0005_translated_texts"), ("roles", "0005_translated_texts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_every_text_and_the_english_names():
    old = migrate(BEFORE)
    OldDepartment = old.get_model("departments", "Department")
    OldRole = old.get_model("roles", "Role")
    OldDuty = old.get_model("roles", "Duty")
    company = OldDepartment.objects.create(
        code="company",
        name="互联网营销企业",
        name_en="Internet Marketing Company",
        lft=1,
        rght=4,
        tree_id=1,
        level=0,
        description="企业组织架构",
    )
    finance = OldDepartment.objects.create(
        code="finance",
        name="财务部",
        name_en="",
        tagline="预算管控,合规保障",
        positioning="管控营销预算",
        parent=company,
        lft=2,
        rght=3,
        tree_id=1,
        level=1,
    )
    role = OldRole.objects.create(
        code="budget", department=finance, title="预算管理专员", title_en="Budget Specialist"
    )
    OldDuty.objects.create(role=role, area="预算方向", text="编制年度营销预算", sort_order=0)
    try:
        new = migrate(AFTER)
        Dept = new.get_model("departments", "Department")
        company, finance = Dept.objects.get(code="company"), Dept.objects.get(code="finance")
        assert (company.name_zh_hans, company.name_en) == (
            "互联网营销企业",
            "Internet Marketing Company",
        )
        assert company.description_zh_hans == "企业组织架构"
        assert (finance.name_zh_hans, finance.name_en) == ("财务部", "")
        assert finance.tagline_zh_hans == "预算管控,合规保障"
        assert finance.positioning_zh_hant == to_traditional("管控营销预算") == "管控營銷預算"
        assert sorted(finance.zh_hant_auto) == ["description", "name", "positioning", "tagline"]
        role = new.get_model("roles", "Role").objects.get(code="budget")
        assert (role.title_zh_hans, role.title_en) == ("预算管理专员", "Budget Specialist")
        assert role.title_zh_hant == "預算管理專員"
        duty = new.get_model("roles", "Duty").objects.get()
        assert (duty.area_zh_hans, duty.text_zh_hans) == ("预算方向", "编制年度营销预算")
        assert duty.text_zh_hant == "編制年度營銷預算"

        # And back: the Chinese returns to the plain columns, the English stays.
        old = migrate(BEFORE)
        finance = old.get_model("departments", "Department").objects.get(code="finance")
        assert (finance.name, finance.tagline) == ("财务部", "预算管控,合规保障")
        role = old.get_model("roles", "Role").objects.get(code="budget")
        assert (role.title, role.title_en) == ("预算管理专员", "Budget Specialist")
    finally:
        # Every app's latest migration: going back also unapplied the apps that build on
        # roles (teams). The test database is flushed afterwards.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_a_text_falls_back_to_simplified_chinese_in_both_other_languages():
    department = DepartmentFactory(name="无英文名部门", name_en="")
    Department.objects.filter(pk=department.pk).update(name_zh_hant=None)
    department.refresh_from_db()
    for language in ("en", "zh-hant"):
        with translation.override(language):
            assert department.name == "无英文名部门"
            row = Department.objects.values("name").get(pk=department.pk)
            assert row["name"] == "无英文名部门"
            assert (
                localized(Department.objects.values(*columns("name")).get(pk=department.pk), "name")
                == "无英文名部门"
            )


@pytest.mark.django_db
def test_each_language_reads_its_own_text():
    department = DepartmentFactory(name="财务部", name_en="Finance")
    expected = {"zh-hans": "财务部", "en": "Finance", "zh-hant": "財務部"}
    row = Department.objects.values(*columns("name")).get(pk=department.pk)
    for language, name in expected.items():
        with translation.override(language):
            assert department.name == name
            assert Department.objects.values_list("name", flat=True).get(pk=department.pk) == name
        assert localized(row, "name", language) == name


@pytest.mark.django_db
def test_automatic_traditional_text_follows_the_simplified_text():
    department = DepartmentFactory(tagline="预算管控")
    assert department.tagline_zh_hant == "預算管控"
    assert "tagline" in department.zh_hant_auto

    department = Department.objects.get(pk=department.pk)
    department.tagline_zh_hans = "数据驱动"
    department.save()

    department.refresh_from_db()
    assert department.tagline_zh_hant == "資料驅動"
    assert "tagline" in department.zh_hant_auto


@pytest.mark.django_db
def test_hand_written_traditional_text_wins_until_it_is_cleared():
    department = DepartmentFactory(tagline="数据驱动")
    department = Department.objects.get(pk=department.pk)
    department.tagline_zh_hant = "數據驅動"  # Hong Kong usage, on purpose
    department.save()
    department = Department.objects.get(pk=department.pk)
    assert department.tagline_zh_hant == "數據驅動"
    assert "tagline" not in department.zh_hant_auto

    department.tagline_zh_hans = "技术赋能,数据驱动"
    department.save()
    department = Department.objects.get(pk=department.pk)
    assert department.tagline_zh_hant == "數據驅動"  # never overwritten by a conversion

    department.tagline_zh_hant = ""
    department.save()
    department = Department.objects.get(pk=department.pk)
    assert department.tagline_zh_hant == to_traditional("技术赋能,数据驱动")
    assert "tagline" in department.zh_hant_auto


@pytest.mark.django_db
def test_a_traditional_text_equal_to_the_conversion_stays_automatic():
    duty = DutyFactory(text="编制预算")
    duty = Duty.objects.get(pk=duty.pk)
    duty.text_zh_hant = "編制預算"
    duty.save()
    duty = Duty.objects.get(pk=duty.pk)
    assert "text" in duty.zh_hant_auto
    duty.text_zh_hans = "审核预算"
    duty.save()
    assert Duty.objects.get(pk=duty.pk).text_zh_hant == to_traditional("审核预算")


@pytest.mark.django_db
def test_a_save_of_some_fields_converts_the_texts_it_saves():
    role = RoleFactory(title="财务会计")
    role = Role.objects.get(pk=role.pk)
    role.title_zh_hans = "预算管理专员"
    role.save(update_fields=["title_zh_hans"])
    assert Role.objects.get(pk=role.pk).title_zh_hant == "預算管理專員"


@pytest.mark.django_db
def test_convert_traditional_converts_automatic_texts_again_and_keeps_hand_written_ones(
    settings,
):
    automatic = DepartmentFactory(tagline="视频运营")
    by_hand = DepartmentFactory(tagline="软件开发")
    by_hand = Department.objects.get(pk=by_hand.pk)
    by_hand.tagline_zh_hant = "軟件開發"
    by_hand.save()
    assert Department.objects.get(pk=automatic.pk).tagline_zh_hant == "影片運營"  # Taiwan

    settings.ORGPORTAL_TRADITIONAL_VARIANT = "s2hk"
    call_command("convert_traditional", stdout=StringIO())

    assert Department.objects.get(pk=automatic.pk).tagline_zh_hant == "視頻運營"  # Hong Kong
    assert Department.objects.get(pk=by_hand.pk).tagline_zh_hant == "軟件開發"


@pytest.mark.django_db
def test_an_instance_from_a_cache_keeps_its_automatic_texts_automatic():
    import pickle

    department = DepartmentFactory(tagline="预算管控")
    cached = pickle.loads(pickle.dumps(Department.objects.get(pk=department.pk)))
    assert "_loaded_row" not in cached.__dict__

    cached.tagline_zh_hans = "数据驱动"
    cached.save()

    assert Department.objects.get(pk=department.pk).tagline_zh_hant == "資料驅動"
