"""The admin in a real browser: dragging departments in the tree, ordering duties."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from departments.models import Department
from departments.services import tree_problems
from roles.models import Role

pytestmark = pytest.mark.browser


def tree_row(page, name):
    return page.locator("#result_list tbody tr").filter(
        has=page.locator(f'.tree-node:text-is("{name}")')
    )


def start_drag(page, name, onto, height_share):
    """Press the handle of ``name`` and move over ``onto`` at a share of its row's height."""
    handle = tree_row(page, name).locator(".tree-handle").bounding_box()
    target = tree_row(page, onto).bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(
        target["x"] + target["width"] / 2, target["y"] + target["height"] * height_share, steps=8
    )


def tree_names(page):
    return page.locator("#result_list .tree-node").all_inner_texts()


def test_rows_keep_one_height_and_names_do_not_wrap(admin_page):
    long_name = "市场调研与策略部以及一个很长很长的名称用来检查是否换行"
    Department.objects.filter(code="market-research-strategy").update(name=long_name)
    page = admin_page(reverse("admin:departments_department_changelist"))

    heights = page.locator("#result_list tbody tr").evaluate_all(
        "rows => rows.map(row => Math.round(row.getBoundingClientRect().height))"
    )
    assert len(set(heights)) == 1, heights
    name = tree_row(page, long_name).locator(".tree-node")
    line_height = name.evaluate("node => parseFloat(getComputedStyle(node).lineHeight) || 20")
    assert name.bounding_box()["height"] <= line_height * 1.5


def test_drag_into_a_department_shows_the_target_and_nests_it(admin_page):
    page = admin_page(reverse("admin:departments_department_changelist"))
    expect(page.locator("[data-tree-help]")).to_be_visible()

    start_drag(page, "财务部", onto="人力资源与行政部", height_share=0.5)
    expect(tree_row(page, "人力资源与行政部")).to_have_class(re.compile(r"\btree-drop-inside\b"))
    expect(page.locator(".tree-drop-label")).to_have_text(
        "成为“人力资源与行政部”的最后一个下级部门"
    )
    page.mouse.up()

    expect(page.locator(".messagelist")).to_contain_text("成为“人力资源与行政部”的最后一个下级部门")
    finance = Department.objects.get(code="finance")
    assert finance.parent.code == "hr-administration"
    assert tree_problems() == []
    expect(tree_row(page, "财务部").locator(".tree-node")).to_have_attribute("data-level", "2")


def test_drag_before_a_department_reorders_the_siblings(admin_page):
    page = admin_page(reverse("admin:departments_department_changelist"))

    start_drag(page, "财务部", onto="市场调研与策略部", height_share=0.15)
    expect(page.locator(".tree-drop-label")).to_have_text("移到“市场调研与策略部”之前")
    page.mouse.up()

    expect(page.locator(".messagelist")).to_contain_text("移到“市场调研与策略部”之前")
    assert [d.code for d in Department.objects.get(code="company").get_children()][:2] == [
        "finance",
        "market-research-strategy",
    ]
    assert tree_names(page)[1:3] == ["财务部", "市场调研与策略部"]


def test_a_department_cannot_be_dropped_on_its_own_subtree_or_beside_the_company(admin_page):
    page = admin_page(reverse("admin:departments_department_changelist"))

    start_drag(page, "财务部", onto="财务部", height_share=0.5)
    expect(page.locator(".tree-drop-label")).to_be_hidden()
    start_drag_row = tree_row(page, "互联网营销企业").bounding_box()
    page.mouse.move(start_drag_row["x"] + 200, start_drag_row["y"] + 2, steps=4)
    # Above the company's row means inside it: nothing stands beside the root.
    expect(page.locator(".tree-drop-label")).to_have_text("成为“互联网营销企业”的最后一个下级部门")
    page.keyboard.press("Escape")
    expect(page.locator(".tree-drop-label")).to_have_count(0)


def role_url(code):
    return reverse("admin:roles_role_change", args=[Role.objects.get(code=code).pk])


def duty_texts(code):
    return list(
        Role.objects.get(code=code).duties.order_by("sort_order").values_list("text", flat=True)
    )


def duty_rows(page):
    return page.locator("#duties-group tbody tr.form-row:not(.empty-form)")


def save(page):
    page.locator("input[name=_continue]").last.click()
    expect(page.locator(".messagelist")).to_be_visible()


def test_a_new_duty_goes_last_without_typing_an_order(admin_page):
    page = admin_page(role_url("data-analyst"))
    before = duty_texts("data-analyst")

    expect(page.locator("#duties-group input[name$=sort_order]").first).to_be_hidden()
    duty_rows(page).last.locator("textarea[name$=text_zh_hans]").fill("维护数据字典")
    save(page)

    assert duty_texts("data-analyst") == [*before, "维护数据字典"]
    expect(duty_rows(page).nth(len(before)).locator("textarea[name$=text_zh_hans]")).to_have_value(
        "维护数据字典"
    )


def test_drag_a_duty_to_the_top_and_save_keeps_the_order(admin_page):
    page = admin_page(role_url("seo-sem-specialist"))
    before = duty_texts("seo-sem-specialist")

    page.locator("#duties-group").evaluate("group => group.scrollIntoView()")
    handle = duty_rows(page).nth(5).locator(".duty-order__handle").bounding_box()
    first = duty_rows(page).first.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(first["x"] + 40, first["y"] + 4, steps=10)
    page.mouse.up()
    expect(duty_rows(page).first.locator("textarea[name$=text_zh_hans]")).to_have_value(before[5])
    save(page)

    assert duty_texts("seo-sem-specialist") == [before[5], *before[:5]]


def test_up_and_down_buttons_move_a_duty_in_place_with_javascript(admin_page):
    page = admin_page(role_url("data-analyst"))
    before = duty_texts("data-analyst")

    duty_rows(page).first.get_by_role("button", name="下移").click()
    expect(page).to_have_url(re.compile(r"/change/$"))
    expect(duty_rows(page).nth(1).locator("textarea[name$=text_zh_hans]")).to_have_value(before[0])
    assert duty_texts("data-analyst") == before
    save(page)

    assert duty_texts("data-analyst") == [before[1], before[0], before[2]]


def test_without_javascript_the_up_and_down_buttons_save_and_move_the_duty(admin_page):
    page = admin_page(role_url("data-analyst"), java_script_enabled=False)
    before = duty_texts("data-analyst")

    expect(duty_rows(page).first.locator(".duty-order__handle")).to_be_hidden()
    duty_rows(page).nth(2).get_by_role("button", name="上移").click()

    expect(page.locator(".messagelist")).to_contain_text("上移")
    assert duty_texts("data-analyst") == [before[0], before[2], before[1]]
    expect(duty_rows(page).nth(1).locator("textarea[name$=text_zh_hans]")).to_have_value(before[2])
