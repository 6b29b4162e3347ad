"""The whole story on the demo as `make demo` seeds it, in Chromium, twice: once moved by the demo clock, once
under `ZJCS_TIME_SCALE=86400`.

A visitor registers an agency and applies to enter; the supervisor admits it; the buyer posts a draw and the
operator publishes it; three agencies of one field sign up with the printed logins; time passes and the draw is
made; anyone verifies it in the browser; the winner confirms; the supervisor warns an agency twice, which opens
a prior notice of suspension; the response period runs out, the suspension applies, and the agency's next
sign-up is refused with its reason. Every notice is on its public list at the next look (the shared cache is
dropped, never stale), and no page answers 500.

Every step is a page a person uses. Time passes as it does for that mode: the operator steps the demo clock
from the banner (the sweeps run before the page returns), or, under acceleration, the test waits past the
deadline and runs the sweeps where Celery beat would.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from marketplace.validators import org_code_for_serial, uscc_build
from tests.helpers import wait_past
from workflows import clock, tasks
from workflows.models import Membership, Project, SignUp
from workflows.selectors.clock import deadline_next_after

from .flows import issue_warning, log_in, pdf_path, post_project, publish, try_sign_up, verify_identity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "demo-2026"
NEW_AGENCY = "惠州市新锐房地产土地估价有限公司"
SCALED_FLOOR = 40  # seconds of real time no accelerated deadline is shorter than, in the scale mode


@pytest.fixture(params=["clock", "scale"])
def mode(request, settings, tmp_path):
    """The demo in demo mode with its clock, or under a day-in-a-second acceleration; a shared file cache."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600
    if request.param == "clock":
        settings.ZJCS_DEMO = True
    else:
        settings.ZJCS_TIME_SCALE = 86400
        settings.ZJCS_SCALED_MIN_SECONDS = SCALED_FLOOR
    yield request.param
    clock.process_reset()


class Story:
    """The people of the story, each with a browser of their own; every 5xx any of them met is noted."""

    def __init__(self, browser, live_server, mode: str):
        self.browser, self.live_server, self.mode = browser, live_server, mode
        self.failures: list[str] = []
        self.public = self.person(None)
        self.operator = self.person("operator_demo")

    def person(self, username: str | None, password: str = PASSWORD):
        context = self.browser.new_context(base_url=self.live_server.url, locale="zh-CN")
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.on("response", lambda r: self.failures.append(f"{r.status} {r.url}") if r.status >= 500 else None)
        if username:
            log_in(page, username, password)
        return page

    def time_passes(self, until, *, step: str = "一天", limit: int = 12) -> None:
        """Time passes until ``until()`` holds: the operator steps the demo clock, or the test waits past the
        next stored deadline and runs the sweeps as beat would."""
        for _ in range(limit):
            if until():
                return
            if self.mode == "clock":
                self.operator.goto("/operator/")
                self.operator.get_by_test_id("demo-clock").get_by_role("button", name=f"前进{step}").click()
                self.operator.wait_for_load_state()
                assert "演示时钟已前进至" in self.operator.locator(".messages").inner_text()
            else:
                wait_past(_next_deadline())
                tasks.deadlines_sweep()
                tasks.credit_sweep()
        assert until(), "time passed without the expected effect"

    def public_list_shows(self, kind: str, text: str) -> bool:
        self.public.goto(f"/notices/{kind}/")
        return text in self.public.locator("main").inner_text()


def _next_deadline():
    """The earliest stored deadline still ahead (what a scripted run waits for); never more than minutes off."""
    found = deadline_next_after(timezone.now())
    assert found is not None, "nothing is due"
    assert (found - timezone.now()).total_seconds() < 10 * SCALED_FLOOR, found
    return found


def test_the_whole_story_on_the_demo(browser, live_server, mode, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    story = Story(browser, live_server, mode)

    # a visitor registers an appraisal agency and its clerk applies to enter, with a licence scan
    uscc = uscc_build(region_code="441302", org_code=org_code_for_serial(987_654))
    visitor = story.person(None)
    visitor.goto("/agency/register/")
    visitor.get_by_label("统一社会信用代码").fill(uscc)
    visitor.get_by_label("机构名称").fill(NEW_AGENCY)
    visitor.get_by_label("所在地区").select_option(label="惠城区")
    visitor.get_by_label("房地产估价").check()
    visitor.get_by_label("办公地址").fill("惠州市惠城区江北文昌一路 9 号")
    visitor.get_by_label("法定代表人").fill("陈立")
    visitor.get_by_label("联系人").fill("李青")
    visitor.get_by_label("联系电话").fill("0752-2345678")
    visitor.locator("#id_password1").fill("Xinrui-2026-pass")
    visitor.locator("#id_password2").fill("Xinrui-2026-pass")
    visitor.get_by_label("营业执照扫描件").set_input_files(str(pdf_path(tmp_path, "yingyezhizhao.pdf")))
    visitor.get_by_role("button", name="注册").click()
    visitor.wait_for_load_state()
    assert f"登录名为本机构的统一社会信用代码 {uscc}" in visitor.locator(".messages").inner_text()
    clerk = story.person(uscc, "Xinrui-2026-pass")
    # not listed, and not free to apply, until the operator has compared the licence with the registration
    clerk.goto("/agency/identity/")
    assert clerk.locator("#identity-state").inner_text() == "待核验"
    clerk.goto("/agency/membership/")
    assert clerk.locator("#identity-problem").count() == 1
    verify_identity(story.operator, NEW_AGENCY)
    clerk.goto("/agency/membership/")
    clerk.get_by_role("button", name="开始填写入驻申请").click()
    clerk.wait_for_load_state()
    clerk.get_by_label("服务承诺与业务说明").fill("本机构专业从事房地产估价，估价师 8 名，承诺依法诚信执业。")
    clerk.get_by_role("button", name="保存草稿").click()
    clerk.wait_for_load_state()
    clerk.get_by_label("资质类型").select_option(label="房地产估价机构资质")
    clerk.get_by_label("资质等级").select_option(label="房地产估价机构资质 · 一级")
    clerk.get_by_label("证书编号").fill("粤房估备字 440000987")
    clerk.get_by_label("发证机关").fill("广东省住房和城乡建设厅")
    clerk.get_by_label("有效期至").fill("2029-12-31")
    clerk.get_by_label("证书扫描件").set_input_files(str(pdf_path(tmp_path, "licence.pdf")))
    clerk.get_by_role("button", name="添加资质").click()
    clerk.wait_for_load_state()
    clerk.get_by_label("我已阅读并签署上述信用承诺书").check()
    clerk.get_by_role("button", name="提交入驻申请").click()
    clerk.wait_for_load_state()
    assert clerk.locator("#membership-state").inner_text() == "待审核", clerk.locator("main").inner_text()[:1500]

    # the supervisor finds the application in its queue and admits the agency
    supervisor = story.person("supervisor_demo")
    supervisor.goto("/supervisor/")
    supervisor.locator("tr", has_text=NEW_AGENCY).get_by_role("link", name="审核").click()
    supervisor.wait_for_load_state()
    supervisor.get_by_label("准予入驻").check()
    supervisor.get_by_label("审核意见").fill("材料齐全，准予入驻。")
    supervisor.get_by_role("button", name="提交审核决定").click()
    supervisor.wait_for_load_state()
    clerk.goto("/agency/membership/")
    assert clerk.locator("#membership-state").inner_text() == "正常"

    # the buyer posts a draw, the operator publishes it, and the announcement is public at once
    buyer = story.person("buyer_demo")
    post_project(buyer, "draw", name="惠城区江北片区征收房屋估价服务", signup_days=2, min_level="三级")
    project = Project.objects.get(name="惠城区江北片区征收房屋估价服务")
    publish(story.operator, project)
    assert story.public_list_shows("announcement", "惠城区江北片区征收房屋估价服务")

    # three agencies of the field sign up with the printed logins (the new one among them)
    bidders = {
        "agency_val_re_3": story.person("agency_val_re_3"),
        "agency_val_re_1": story.person("agency_val_re_1"),
        uscc: clerk,
    }
    for (login, page), quote in zip(bidders.items(), ("52000", "61000", "47000"), strict=True):
        try_sign_up(page, project, quote)
        assert page.get_by_test_id("signup-state").count(), (login, page.locator("main").inner_text()[:800])

    # time passes: the sign-up closes and the draw is made; the result notice is public at the next look
    story.time_passes(lambda: story.public_list_shows("result", "惠城区江北片区征收房屋估价服务"))

    # anyone verifies the draw in the browser from the result notice
    story.public.get_by_role("link", name="惠城区江北片区征收房屋估价服务", exact=False).first.click()
    story.public.wait_for_load_state()
    notice = story.public.locator("main").inner_text()
    story.public.get_by_role("link", name="在线验证抽取结果").click()
    story.public.wait_for_load_state()
    check = story.public.locator("#draw-browser-check")
    check.wait_for()
    story.public.wait_for_function("() => document.querySelector('#draw-browser-check').dataset.result !== undefined")
    assert check.get_attribute("data-result") == "ok"

    # the winner — named by the result notice — confirms the win on its project page
    winner_line = re.search(r"中选机构\s*(.+?)（", notice)
    assert winner_line, notice
    winner_name = winner_line.group(1).strip()
    winner_login = {NEW_AGENCY: uscc} | dict(
        zip(_names("agency_val_re_3", "agency_val_re_1"), ("agency_val_re_3", "agency_val_re_1"), strict=True)
    )
    winner = bidders[winner_login[winner_name]]
    winner.goto(f"/agency/projects/{project.code}/")
    winner.get_by_role("button", name="确认中选").click()
    winner.wait_for_load_state()
    assert project.signups.get(state=SignUp.State.CONFIRMED).agency.name == winner_name

    # the supervisor warns agency_val_re_2 twice; each warning is public at the next look
    target = _agency_of("agency_val_re_2")
    for n, facts in enumerate(("逾期提交估价报告 12 天。", "估价报告数据错误，经核实。"), start=1):
        issue_warning(supervisor, target, facts, f"第 {n} 次信用警告：{facts}")
        assert story.public_list_shows("warning", target.name)
    # the second opens a prior notice (失信告知) of suspension, which the agency sees
    warned = story.person("agency_val_re_2")
    warned.goto("/agency/cases/")
    assert "暂停" in warned.locator("main").inner_text()

    # time passes: the response period runs out unanswered and the credit sweep applies the suspension
    story.time_passes(lambda: Membership.objects.get(agency=target).state == Membership.State.SUSPENDED, limit=20)

    # the buyer posts another project; the suspended agency is told why it may not sign up
    post_project(buyer, "draw", name="仲恺高新区厂房租金评估服务", signup_days=5, min_level="三级")
    second = Project.objects.get(name="仲恺高新区厂房租金评估服务")
    publish(story.operator, second)
    warned.goto(f"/agency/projects/{second.code}/")
    page_text = warned.locator("main").inner_text()
    if warned.get_by_role("button", name="提交报名").count():
        warned.get_by_label("报价金额（元）").fill("50000")
        warned.get_by_role("button", name="提交报名").click()
        warned.wait_for_load_state()
        page_text = warned.locator("main").inner_text()
    assert "CR-SEL-001" in page_text and "暂停" in page_text
    assert not second.signups.filter(agency=target).exists()

    # and no page answered 500 on the way
    assert story.failures == []
    assert re.search(r"\d{4}-\d{2}-\d{2}", notice)


def _agency_of(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).agencystaff_set.get().agency


def _names(*usernames: str) -> list[str]:
    return [_agency_of(u).name for u in usernames]
