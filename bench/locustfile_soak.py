"""The people of bench/soak.py, for locust: they act through the pages, forms and CSRF tokens like a browser.

* visitors browse the public pages (notices, projects, the agency directory and profiles, searches, lists);
* agencies sign up for open projects, confirm their wins, upload the signed contract, look at their own pages;
* buyers post projects (a draw or a lowest price) and submit them for review, confirm winners and contracts;
* the operator reviews and publishes what the buyers submitted;
* supervisors read their queue and issue credit warnings.

``soak.py`` starts locust on this file with ``SOAK_PEOPLE`` naming a JSON file: the password, the accounts of
each role, the agencies a supervisor may warn and the search terms. Requests are named by their page's
pattern (``/agency/projects/[code]/``), so the statistics are per page. A 4xx or 5xx answer is a failure; a
refusal the site explains on the page (a sign-up the credit gate refuses, a win not yet confirmable) is not.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

from locust import HttpUser, between, task

PEOPLE = json.loads(Path(os.environ["SOAK_PEOPLE"]).read_text(encoding="utf-8"))
PASSWORD = PEOPLE["password"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # a contract file the upload accepts
_lock = threading.Lock()
_turns = {role: itertools.cycle(names) for role, names in PEOPLE["accounts"].items()}


def next_account(role: str) -> str:
    """The next account of ``role``, in turn (several simulated people may share one when there are few)."""
    with _lock:
        return next(_turns[role])


class Form:
    """One ``<form>`` of a page: where it goes and the fields a browser would send with one of its buttons."""

    def __init__(self, attrs: dict):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.fields: list[tuple[str, str]] = []
        self.choices: dict[str, list[tuple[str, str]]] = {}  # select name: (value, label)
        self.buttons: list[tuple[str, str, str]] = []  # (text, name, value)

    def data(self, button: str, values: dict[str, str]) -> dict[str, str]:
        data = dict(self.fields)
        for text, name, value in self.buttons:
            if text == button and name:
                data[name] = value
        data.update(values)
        return data


class FormParser(HTMLParser):
    """Every form of a page, with its inputs, selects, textareas and buttons."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: tuple[str, bool] | None = None
        self._text: list[str] = []
        self._textarea: str | None = None
        self._button: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self._form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
            self._form.choices[self._select or ""] = []
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value", ""), "selected" in a)
            self._text = []
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._text = []
        elif tag == "button":
            self._button = (a.get("name", ""), a.get("value", ""))
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        text = "".join(self._text).strip()
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected = self._option
            self._form.choices[self._select].append((value, text))
            if selected:
                self._form.fields.append((self._select, value))
            self._option = None
        elif tag == "select":
            names = [n for n, _v in self._form.fields]
            options = self._form.choices.get(self._select or "", [])
            if self._select and self._select not in names and options:
                self._form.fields.append((self._select, options[0][0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._form.fields.append((self._textarea, text))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self._form.buttons.append((text, *self._button))
            self._button = None
        elif tag == "form":
            self._form = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, button: str) -> Form | None:
    """The form holding the button labelled ``button``, if the page shows one."""
    return next((f for f in forms_of(html) if any(text == button for text, _n, _v in f.buttons)), None)


def option(form: Form, select: str, label_start: str) -> str:
    """The value of the first option of ``select`` whose label starts with ``label_start``."""
    return next(v for v, label in form.choices.get(select, []) if label.startswith(label_start) and v)


# The production settings mark the session and CSRF cookies Secure, and this process talks plain HTTP to the
# loopback (as the TLS proxy in front of production would): every cookie jar of this process sends them back.
# (requests copies the session's jar into a new one for each request, so a policy on one jar is not enough.)
DefaultCookiePolicy.return_ok_secure = lambda self, cookie, request: True  # type: ignore[method-assign]


class Person(HttpUser):
    """Someone on the site: pages named by pattern, forms submitted with their CSRF token."""

    abstract = True
    wait_time = between(1, 4)
    role = ""

    def on_start(self):
        if self.role:
            self.username = next_account(self.role)
            self.log_in()

    def page(self, path: str, name: str | None = None) -> str:
        """GET a page; a 4xx or 5xx (or a redirect to the login page) is a failure."""
        with self.client.get(path, name=name or path, catch_response=True) as response:
            sent_to_log_in = self.role and "/accounts/login/" in response.url and not path.startswith("/accounts/")
            if response.status_code >= 400 or sent_to_log_in:
                response.failure(f"{response.status_code} at {response.url}")
                return ""
            return response.text

    def submit(
        self, form: Form, button: str, values: dict[str, str], *, referer: str, name: str, files: dict | None = None
    ) -> str:
        """POST ``form`` as its button ``button`` would, following the redirect to the page that answers."""
        with self.client.post(
            form.action or referer,
            data=form.data(button, values),
            files=files,
            name=name,
            headers={"Referer": self.host + referer},
            catch_response=True,
        ) as response:
            if response.status_code >= 400:
                response.failure(f"{response.status_code} on {name}: {response.text[:300]}")
                return ""
            return response.text

    def log_in(self):
        html = self.page("/accounts/login/")
        form = form_with(html, "登录")
        if form is None:
            raise RuntimeError(f"no login form for {self.username}")
        html = self.submit(
            form,
            "登录",
            {"username": self.username, "password": PASSWORD},
            referer="/accounts/login/",
            name="/accounts/login/ (POST)",
        )
        if "/accounts/login/" in html and "登录" in html and 'name="password"' in html:
            raise RuntimeError(f"cannot log in as {self.username}")

    def links(self, html: str, pattern: str) -> list[str]:
        return sorted(set(re.findall(pattern, html)))


class Visitor(Person):
    """An anonymous visitor browsing the public pages and searching."""

    weight = 8

    @task(4)
    def notices(self):
        html = self.page("/notices/")
        kinds = self.links(html, r'href="(/notices/[a-z_]+/)"')
        if kinds:
            self.page(random.choice(kinds), name="/notices/[kind]/")

    @task(3)
    def projects(self):
        term = random.choice(PEOPLE["terms"])
        html = self.page(f"/projects/?q={term}", name="/projects/?q=")
        html = html if random.random() < 0.5 else self.page("/projects/")
        codes = self.links(html, r'href="(/projects/[A-Z0-9-]+/)"')
        if codes:
            self.page(random.choice(codes), name="/projects/[code]/")

    @task(3)
    def agencies(self):
        term = random.choice(PEOPLE["terms"])
        html = self.page(f"/agencies/?q={term}", name="/agencies/?q=") if random.random() < 0.5 else ""
        html = html or self.page("/agencies/")
        profiles = self.links(html, r'href="(/agencies/[0-9A-Z]{18}/)"')
        if profiles:
            self.page(random.choice(profiles), name="/agencies/[uscc]/")

    @task(1)
    def credit_lists(self):
        self.page(random.choice(["/credit/redlist/", "/credit/blacklist/", "/statistics/", "/buyers/"]))

    @task(1)
    def draws(self):
        html = self.page("/notices/result/", name="/notices/[kind]/")
        notices = self.links(html, r'href="(/notices/[a-z0-9-]+/)"')
        if notices:
            html = self.page(random.choice(notices), name="/notices/[notice]/")
            proofs = self.links(html, r'href="(/draws/[A-Z0-9-]+/)"')
            if proofs:
                self.page(proofs[0], name="/draws/[code]/")


class AgencyPerson(Person):
    """An agency signing up for open projects and confirming what it won."""

    weight = 4
    role = "agency"

    @task(4)
    def sign_up(self):
        html = self.page("/agency/projects/")
        codes = self.links(html, r'href="(/agency/projects/ZJCS-[A-Z0-9-]+/)"')
        if not codes:
            return
        path = random.choice(codes)
        html = self.page(path, name="/agency/projects/[code]/")
        form = form_with(html, "提交报名")
        if form is None:
            return  # signed up already, closed, or not for this agency: the page says which
        self.submit(
            form,
            "提交报名",
            {"quote": str(random.randrange(40_000, 80_000, 500))},
            referer=path,
            name="/agency/projects/[code]/ sign up",
        )

    @task(2)
    def confirm_wins(self):
        """Confirm a win on the project page; upload the signed contract on the engagement page."""
        html = self.page("/agency/projects/mine/")
        for path in self.links(html, r'href="(/agency/projects/ZJCS-[A-Z0-9-]+/)"')[:5]:
            detail = self.page(path, name="/agency/projects/[code]/")
            form = form_with(detail, "确认中选")
            if form is not None:
                self.submit(form, "确认中选", {}, referer=path, name="/agency/projects/[code]/ confirm win")
            for engagement in self.links(detail, r'href="(/agency/projects/engagements/\d+/)"')[:1]:
                page = self.page(engagement, name="/agency/projects/engagements/[pk]/")
                form = form_with(page, "上传合同")
                if form is not None:
                    self.submit(
                        form,
                        "上传合同",
                        {},
                        referer=engagement,
                        name="/agency/projects/engagements/[pk]/ contract",
                        files={"file": ("contract.pdf", PDF, "application/pdf")},
                    )

    @task(2)
    def own_pages(self):
        self.page(random.choice(["/me/", "/agency/credit/", "/me/inbox/", "/agency/cases/"]))


class BuyerPerson(Person):
    """A buyer posting projects for review and confirming the winners once publicity is over."""

    weight = 1
    role = "buyer"

    @task(2)
    def post_project(self):
        html = self.page("/buyer/projects/new/")
        form = form_with(html, "保存草稿")
        if form is None:
            return
        method = random.choice(["draw", "price"])
        values = {
            "name": f"压力测试房地产估价项目{time.time_ns() % 10**9}",
            "category": option(form, "category", "房地产估价"),
            "content": "对安置房项目 120 套房屋进行市场价值评估，出具估价报告。",
            "budget": "80000",
            "req-0-qualification_type": option(form, "req-0-qualification_type", "房地产估价机构资质"),
            "req-0-min_level": option(form, "req-0-min_level", "房地产估价机构资质 · 三级"),
            "quote_floor": "40000",
            "quote_ceiling": "80000",
            "method": method,
            "signup_days": "1",
            "publicity_days": "1",
        }
        html = self.submit(form, "保存草稿", values, referer="/buyer/projects/new/", name="/buyer/projects/new/ (POST)")
        codes = self.links(html, r'action="(/buyer/projects/ZJCS-[A-Z0-9-]+/)submit/"')
        form = form_with(html, "提交审核")
        if form is None or not codes:
            return
        self.submit(form, "提交审核", {}, referer=codes[0], name="/buyer/projects/[code]/submit/")

    @task(3)
    def confirm_winners(self):
        html = self.page("/buyer/projects/")
        for path in self.links(html, r'href="(/buyer/projects/ZJCS-[A-Z0-9-]+/)"')[:8]:
            detail = self.page(path, name="/buyer/projects/[code]/")
            contract = form_with(detail, "确认合同")
            if contract is not None:
                values = {"amount": str(random.randrange(40_000, 80_000, 500))}
                self.submit(contract, "确认合同", values, referer=path, name="/buyer/projects/[code]/contract/")
            form = form_with(detail, "确认中选结果")
            if form is None or "公示期已满" not in detail:
                continue
            page = self.submit(form, "确认中选结果", {}, referer=path, name="/buyer/projects/[code]/confirm-winner/")
            confirm = form_with(page, "确认并提交")
            if confirm is not None:
                self.submit(
                    confirm, "确认并提交", {}, referer=path, name="/buyer/projects/[code]/confirm-winner/ confirm"
                )


class OperatorPerson(Person):
    """The operator publishing the projects buyers submitted."""

    weight = 1
    fixed_count = 1
    role = "operator"

    @task
    def publish(self):
        html = self.page("/operator/")
        for path in self.links(html, r'href="(/operator/projects/ZJCS-[A-Z0-9-]+/)"')[:5]:
            detail = self.page(path, name="/operator/projects/[code]/")
            form = form_with(detail, "审核通过并发布")
            if form is not None:
                self.submit(form, "审核通过并发布", {}, referer=path, name="/operator/projects/[code]/ publish")


class SupervisorPerson(Person):
    """A supervisor reading the work queue and issuing credit warnings."""

    weight = 1
    role = "supervisor"

    @task(3)
    def queue(self):
        self.page("/supervisor/")

    @task(1)
    def warn(self):
        uscc = random.choice(PEOPLE["warn"])
        path = f"/supervisor/events/new/?agency={uscc}"
        html = self.page(path, name="/supervisor/events/new/")
        form = form_with(html, "下一步：核对信息")
        if form is None:
            return
        values = {
            "agency": uscc,
            "code": "CREDIT_WARNING",
            "facts": "压力测试：成果文件逾期提交，经核实属实。",
            "evidence_summary": "成果文件逾期提交。",
        }
        html = self.submit(form, "下一步：核对信息", values, referer=path, name="/supervisor/events/new/ check")
        confirm = form_with(html, "确认并提交")
        if confirm is not None:
            self.submit(confirm, "确认并提交", {}, referer=path, name="/supervisor/events/new/ confirm")
