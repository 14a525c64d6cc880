"""The seed organisation in data/ holds the whole seed document, word for word and in order."""

from departments.models import Department
from roles.models import Duty, Role

SEED_DEPARTMENTS = [
    "市场调研与策略部",
    "品牌与内容营销部",
    "数字运营部",
    "用户增长与运营部",
    "数据与技术部",
    "客户服务部",
    "人力资源与行政部",
    "财务部",
]
SEED_ROLES = [
    "市场调研专员",
    "营销策划经理",
    "品牌策划",
    "内容运营专员",
    "视觉设计师",
    "SEO/SEM优化师",
    "社交媒体运营",
    "电商运营",
    "用户运营专员",
    "活动运营",
    "数据分析师",
    "技术开发工程师",
    "在线客服",
    "售后专员",
    "招聘专员",
    "培训与发展专员",
    "行政专员",
    "财务会计",
    "预算管理专员",
]


def test_seed_has_one_root_eight_departments_nineteen_roles_sixty_duties(seed_org):
    assert seed_org.code == "company"
    assert seed_org.name == "互联网营销企业"
    assert Department.objects.root_nodes().count() == 1
    assert Department.objects.count() == 9
    assert Role.objects.count() == 19
    assert Duty.objects.count() == 60


def test_seed_departments_and_roles_keep_the_documents_order(seed_org):
    assert [d.name for d in seed_org.get_children()] == SEED_DEPARTMENTS
    assert [r.title for r in Role.objects.order_by("department__lft", "sort_order")] == SEED_ROLES


def test_every_seed_department_and_role_has_an_english_name(seed_org):
    assert not Department.objects.filter(name_en="").exists()
    assert not Role.objects.filter(title_en="").exists()


def test_seed_keeps_taglines_and_positioning_word_for_word(seed_org):
    research = Department.objects.get(name="市场调研与策略部")
    assert research.tagline == "战略导航,数据赋能"
    assert (
        research.positioning == "研判行业趋势、拆解竞品动作、挖掘用户需求,输出营销战略与战术方案。"
    )
    assert Department.objects.get(name="财务部").positioning == "管控营销预算,保障财务合规。"


def test_seo_sem_role_has_three_duties_in_each_area(seed_org):
    role = Role.objects.get(title="SEO/SEM优化师")
    areas = list(role.duties.values_list("area", flat=True))
    assert areas == ["SEO方向"] * 3 + ["SEM方向"] * 3
    assert role.duties.get(sort_order=5).text == (
        "控制CPC(单次点击成本),提升转化ROI(如“将CPC从5元压至3元,转化量提升20%”)"
    )


def test_every_other_role_has_three_duties_without_area(seed_org):
    for role in Role.objects.exclude(title="SEO/SEM优化师"):
        assert list(role.duties.values_list("area", flat=True)) == [""] * 3, role.title


def test_last_duty_of_budget_management_is_word_for_word(seed_org):
    role = Role.objects.get(title="预算管理专员")
    assert role.duties.last().text == (
        "优化预算分配(如“降低低效渠道预算,投向高转化渠道”),提升资金使用效率"
    )


def test_seed_text_carries_no_scrape_artifacts(seed_org):
    texts = list(Duty.objects.values_list("text", flat=True))
    assert not [t for t in texts if "?" in t or "版权" in t or "下载" in t]
    assert any("店铺页面" in t for t in texts)
    assert any("日报/周报/月报" in t for t in texts)


def test_seed_invents_no_reporting_lines(seed_org):
    assert not Role.objects.filter(reports_to__isnull=False).exists()
