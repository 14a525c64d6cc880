"""The admin as part of the portal: its name, and labels that say what they show."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.authtoken.models import Token

from roles.models import Duty, Role

CJK = re.compile(r"[\u3400-\u9fff]")
LANGUAGES = ("zh-hans", "en")
# Labels that stay as they are in Chinese too.
SAME_IN_CHINESE = {"API"}
# Msgids the portal's catalog translates on purpose differently from Django or a library:
# the portal's wording reads better, and the string means the same there.
OVERRIDDEN_ON_PURPOSE = {
    "Log out": "退出登录, as the portal's header says, for Django's 注销",
    "Logged out": "已退出, for Django's 登出",
    "Breadcrumbs": "页面路径, for Django's 条形导航",
    "Page not found": "页面不存在, for Django's 页面没有找到",
    "Description": "说明, for Django admindocs' 描述, which the portal does not install",
}


class AdminLabels(HTMLParser):
    """Collect an admin page's labels: column heads, field labels, fieldset and filter headings.

    The navigation sidebar is left out (it is the index's list of models on every page), and so
    are headings that name an object, which are content rather than labels.
    """

    def __init__(self):
        super().__init__()
        self.open = []  # [tag, text, kind] for every element that is being read
        self.depth = {"thead": 0, "fieldset": 0}
        self.sidebar = None  # the tag that opened the sidebar, and how deep it is nested
        self.labels = []
        self.site_name = ""
        self.breadcrumbs = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.sidebar:
            if tag == self.sidebar[0]:
                self.sidebar[1] += 1
            return
        if attrs.get("id") == "nav-sidebar":
            self.sidebar = [tag, 1]
            return
        if tag in self.depth:
            self.depth[tag] += 1
        kind = None
        if attrs.get("id") == "site-name":
            kind = "site-name"
        elif attrs.get("class") == "breadcrumbs":
            kind = "breadcrumbs"
        elif (
            tag in ("label", "h3", "caption")
            or (tag == "th" and self.depth["thead"])
            or (tag == "h2" and self.depth["fieldset"])
        ):
            kind = "label"
        if kind:
            self.open.append([tag, "", kind])

    def handle_endtag(self, tag):
        if self.sidebar:
            if tag == self.sidebar[0]:
                self.sidebar[1] -= 1
                if not self.sidebar[1]:
                    self.sidebar = None
            return
        if tag in self.depth:
            self.depth[tag] -= 1
        if self.open and self.open[-1][0] == tag:
            _tag, text, kind = self.open.pop()
            text = " ".join(text.split()).rstrip(":：")
            if kind == "site-name":
                self.site_name = text
            elif kind == "breadcrumbs":
                self.breadcrumbs = text
            elif text:
                self.labels.append(text)

    def handle_data(self, data):
        for element in self.open:
            element[1] += data


def labels_of(response):
    parser = AdminLabels()
    parser.feed(response.content.decode())
    return parser


def admin_pages():
    """Yield the URL of every admin page of every registered model: list, add, change, history."""
    yield reverse("admin:index")
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        # A singleton (the organisation profile) has only its form: no list, add or delete.
        singleton = getattr(model_admin, "singleton_id", None)
        if singleton is not None:
            for view in ("change", "history"):
                yield reverse(f"{name}_{view}", args=[singleton])
            continue
        yield reverse(f"{name}_changelist")
        yield reverse(f"{name}_add")
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {opts.model_name} to open"
        for view in ("change", "history", "delete"):
            yield reverse(f"{name}_{view}", args=[obj.pk])


@pytest.fixture
def admin_client(client, seed_org, superuser):
    Token.objects.create(user=superuser)
    assert Group.objects.exists() and Duty.objects.exists()
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_page_labels_what_it_shows_in_the_page_language(admin_client, language):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    problems = []
    for url in admin_pages():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = labels_of(response)
        for label in page.labels:
            if language == "en" and CJK.search(label):
                problems.append(f"{url}: Chinese label “{label}”")
            if language == "zh-hans" and not CJK.search(label) and label not in SAME_IN_CHINESE:
                problems.append(f"{url}: untranslated label “{label}”")
        crumbs = [crumb.strip() for crumb in page.breadcrumbs.split("›")]
        if len(crumbs) > 2 and crumbs[1] == crumbs[2]:
            problems.append(f"{url}: breadcrumbs repeat “{crumbs[1]}”")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_columns_or_fields_of_an_admin_page_share_a_label(admin_client, language):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    problems = []
    for url in admin_pages():
        if url == reverse("admin:index"):
            continue  # Each app's table of models has the same three column heads.
        labels = labels_of(admin_client.get(url)).labels
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            problems.append(f"{url}: {repeated}")
    assert problems == []


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "部门名称"), ("en", "Department name")]
)
def test_department_tree_column_is_headed_department_name(admin_client, language, heading):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = admin_client.get(reverse("admin:departments_department_changelist"))
    columns = [label for label in labels_of(response).labels if label]
    assert heading in columns
    assert "岗位名称" not in columns and "Title" not in columns


def test_role_columns_say_which_language_a_title_is_in(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    columns = labels_of(admin_client.get(reverse("admin:roles_role_changelist"))).labels
    assert {"Title (Simplified Chinese)", "Title (English)"} <= set(columns)


def test_portal_catalog_changes_a_library_translation_only_on_purpose():
    ours = polib.pofile(str(Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"))
    site_packages = Path(admin.__file__).resolve().parents[3]
    theirs = {}
    for path in site_packages.glob("*/**/locale/zh_Hans/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)):
            if entry.msgstr:
                theirs.setdefault((entry.msgctxt, entry.msgid), set()).add(entry.msgstr)
    changed = [
        (entry.msgid, entry.msgstr, sorted(theirs[key]))
        for entry in ours
        if (key := (entry.msgctxt, entry.msgid)) in theirs
        and entry.msgstr not in theirs[key]
        and entry.msgid not in OVERRIDDEN_ON_PURPOSE
    ]
    assert changed == []


def test_admin_is_branded_as_the_portal(admin_client):
    response = admin_client.get(reverse("admin:index"))
    page = response.content.decode()
    labels = labels_of(response)

    assert labels.site_name == "组织门户 · 管理后台"
    assert "<title>维护组织架构 | 组织门户管理后台</title>" in page
    assert 'rel="icon" href="/static/img/logo.svg"' in page
    assert f'href="{reverse("chart:home")}">返回组织门户</a>' in page
    assert "Django" not in re.sub(r"<script[^>]*>.*?</script>|<!--.*?-->", "", page, flags=re.S)


def test_admin_breadcrumbs_name_the_app_and_the_model_apart(admin_client):
    response = admin_client.get(reverse("admin:departments_department_changelist"))
    assert labels_of(response).breadcrumbs == "首页 › 组织架构 › 部门"


def test_admin_login_page_is_branded_and_links_back_to_the_portal(client, db):
    page = client.get(reverse("admin:login")).content.decode()
    assert "组织门户 · 管理后台" in page
    assert "返回组织门户" in page


def test_role_picker_labels_show_title_and_department(admin_client):
    role = Role.objects.get(code="data-analyst")
    role.reports_to = Role.objects.get(code="marketing-planning-manager")
    role.save()
    page = admin_client.get(reverse("admin:roles_role_change", args=[role.pk])).content.decode()
    assert "营销策划经理 · 市场调研与策略部" in page


INLINE_STYLE = re.compile(r'<[^>]+\sstyle="')
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


def test_admin_pages_need_no_inline_style_or_script(admin_client):
    """A content security policy without 'unsafe-inline' leaves the admin working."""
    problems = []
    urls = [*admin_pages(), reverse("admin:roles_role_changelist") + "?is_active__exact=1"]
    for url in urls:
        page = admin_client.get(url).content.decode()
        problems += [f"{url}: {tag[:60]}" for tag in INLINE_STYLE.findall(page)]
        problems += [f"{url}: {tag[:60]}" for tag in INLINE_SCRIPT.findall(page)]
    assert problems == []


def test_the_filter_by_department_indents_with_classes(admin_client):
    page = admin_client.get(reverse("admin:roles_role_changelist")).content.decode()
    assert 'class="tree-filter-level-1"' in page
