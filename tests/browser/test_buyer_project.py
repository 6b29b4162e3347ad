"""A buyer runs a draw project in a real Chromium: create it through the form, submit it, see the
ranking with the draw proof after the sign-up closes, and see contracting start after publicity."""

from __future__ import annotations

import pytest

from tests.factories import agencies, buyer_user, operator_user
from tests.helpers import after
from workflows.models import Project
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import award as award_services
from workflows.services.procurement import signups as signup_services
from workflows.services.procurement.projects import project_review
from workflows.services.transitions import row_reload

from .flows import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_buyer_creates_submits_and_follows_a_draw_project(page):
    # given a buyer, an operator and three admitted real-estate appraisal agencies (made before the browser opens)
    buyer_user(username="buyer_huicheng")
    operator = operator_user()
    pool = agencies(3)

    # when the buyer creates a draw project through the form
    log_in(page, "buyer_huicheng")
    page.goto("/buyer/projects/new/")
    page.get_by_label("项目名称").fill("惠城区某安置房项目房地产估价服务")
    page.get_by_label("服务事项").select_option(label="房地产估价")
    page.get_by_label("服务内容").fill("对安置房项目 120 套房屋进行市场价值评估，出具估价报告。")
    page.get_by_label("预算金额（元）").fill("80000")
    # the types for 房地产估价 come first; the level list offers only the chosen type's levels
    first_group = page.locator("#id_req-0-qualification_type optgroup").first
    assert first_group.get_attribute("label") == "适用于所选服务事项"
    assert first_group.locator("option").all_inner_texts() == ["房地产估价机构资质"]
    page.locator("#id_req-0-qualification_type").select_option(label="房地产估价机构资质")
    level_options = page.locator("#id_req-0-min_level option:not([disabled])").all_inner_texts()
    assert all(text.startswith("房地产估价机构资质") for text in level_options[1:])
    # Q-RE's levels are 一级/二级/三级 (there is no 乙级): 二级 is the second grade
    page.locator("#id_req-0-min_level").select_option(label="房地产估价机构资质 · 二级")
    page.get_by_label("报价下限").fill("40000")
    page.get_by_label("报价上限").fill("80000")
    page.get_by_label("随机抽取").check()
    assert page.get_by_label("直接选取理由").is_hidden()
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_load_state()

    # then the draft's page shows it; the buyer submits it for review
    assert page.locator("#project-state").inner_text() == "草稿"
    assert "房地产估价机构资质 二级及以上" in page.locator("main").inner_text()
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    assert page.locator("#project-state").inner_text() == "待审核"

    # (ORM) the operator publishes it; three agencies sign up; the sign-up deadline passes
    project = Project.objects.get(name="惠城区某安置房项目房地产估价服务")
    assert project.requirements.get().min_level.name == "二级" and project.budget == 80000
    assert project_review(project=project, actor=operator, publish=True).ok
    row_reload(project)
    for (agency, user), quote in zip(pool, ("52000", "61000", "47000"), strict=True):
        assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote=quote).ok
    page.reload()
    # before the deadline neither who signed up nor how many is shown
    assert page.locator("#signups td.num").count() == 0
    assert "报名机构名单、数量和报价均密封至报名截止时间" in page.locator("#signups").inner_text()
    for agency, _user in pool:
        assert agency.name not in page.locator("main").inner_text()
    assert "52000" not in page.locator("main").inner_text()
    deadlines_sweep(after(project.signup_deadline))

    # the buyer's page shows the ranking and the link to the draw proof
    page.reload()
    assert page.locator("#project-state").inner_text() == "结果公示中"
    ranking = page.locator("#ranking").inner_text()
    row_reload(project)
    for uscc in project.draw_proof["ranking"]:
        assert uscc in ranking
    assert page.locator("#draw-proof-link").get_attribute("href") == f"/draws/{project.code}/"
    assert "尚未确认中选" in page.locator("#winner").inner_text()

    # (ORM) the winner confirms; the publicity period ends
    winner = project.signups.get(state="selected")
    winner_user = next(u for a, u in pool if a == winner.agency)
    assert award_services.winner_confirm(signup=winner, actor=winner_user).ok
    deadlines_sweep(after(project.publicity_ends_at))

    # the buyer sees 签约中
    page.reload()
    assert page.locator("#project-state").inner_text() == "签约中"
    assert winner.agency.name in page.locator("#engagement").inner_text()
    page.get_by_role("link", name="查看抽取证明（公开验证）").click()
    page.wait_for_load_state()
    assert project.code in page.locator("main").inner_text()
