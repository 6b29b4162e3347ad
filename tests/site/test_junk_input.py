"""Junk posted to every form and every GET filter of the site: never a 5xx, and nothing written on a refusal.

The forms are discovered, not listed: every pattern of the URL conf outside the admin and Wagtail's ``/cms/``
is fetched, in the demo's world (``seed_demo``: every state the services reach, through the services), as the
account that uses the page and with one object per URL argument in each state it occurs in; each page's HTML
forms are parsed (method, action, fields, their kinds and a select's options) and collected. For every form
hypothesis then sends junk, field by field of its kind — empty, blanks, 10k+ strings, NUL and control
characters, emoji, right-to-left and combining marks, huge, negative and exponent-form numbers, NaN, Infinity,
extreme and impossible dates, other objects' ids, non-numeric ids, repeated keys, missing fields, oversized and
mistyped files — as the same account, each example in its own rolled-back savepoint.

A response is a refusal when it re-renders (200), refuses (4xx) or redirects with an error message; then every
row count of the project's apps (marketplace, workflows, credit_rules, cms) and every workflow row's state must
be as before. A GET form (a filter) never writes, whatever it answers.
"""

from __future__ import annotations

import datetime
import io
import os
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.messages import constants as message_levels
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import given, note, settings
from hypothesis import strategies as st

from credit_rules.models import DecisionRecord, LedgerEntry
from marketplace.models import Agency, AgencyStaff, BuyerStaff, BuyerUnit
from opendata.exports.reports import credit_report_issue
from opendata.models import ApiCall
from opendata.ocds.mapping import ocid_for
from workflows.models import (
    Challenge,
    CreditCase,
    Engagement,
    IdentityVerification,
    InspectionPlan,
    InspectionTarget,
    Membership,
    Objection,
    Project,
    RepairRequest,
    RiskFlag,
    ServiceComplaint,
    TransitionLog,
)
from workflows.selectors.risk import Finding

pytestmark = pytest.mark.django_db

EXAMPLES_PER_FORM = 12
# The suite (and CI) sends the same junk every run — seeded from each form's test, so a green run stays green
# and a red one is reproducible; `JUNK_EXPLORE=1` sends fresh junk to look for what those examples miss
# (each failure then found is fixed with a plain regression test, as tests/site/test_bad_input.py holds).
EXPLORE = bool(os.environ.get("JUNK_EXPLORE"))
# Below this many forms the discovery has lost its way (a renamed account, a page that stopped rendering).
MIN_FORMS = 75

# --- the URL conf: what is left out, and why ----------------------------------------------------------------

# Back-office tools with their own forms and their own tests (Django admin, Wagtail's /cms/ and documents).
EXCLUDED_PREFIXES = ("admin/", "cms/", "documents/")
# Downloads of private files: no HTML, no form; who may fetch them is tests/workflows/views/test_private_files.py.
DOWNLOADS = {
    "agency-file",
    "buyer-engagement-file",
    "buyer-proposal-file",
    "supervisor-file",
    "complaint-file",
    "operator-identity-licence",
    "list-download",  # the public lists' CSV and XLSX (opendata): files, no form
    "notice-download",
    "notice-download-kind",
    "supervisor-report-pdf",
}
# Form actions never posted junk: signing out has no input and would end the session the next example uses.
SKIPPED_ACTIONS = ("/accounts/logout/",)

# --- the world ---------------------------------------------------------------------------------------------


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _agency_user(agency: Agency):
    return AgencyStaff.objects.filter(agency=agency).order_by("pk").first().user


def _buyer_user(unit: BuyerUnit):
    return BuyerStaff.objects.filter(unit=unit).order_by("pk").first().user


def _one_per(queryset, key: str = "state") -> list:
    """One row for each value of ``key`` (the first by pk): one object per state the world holds."""
    seen: dict = {}
    for row in queryset.order_by("pk"):
        seen.setdefault(getattr(row, key), row)
    return list(seen.values())


@dataclass
class World:
    agency: object
    buyer: object
    supervisor: object
    operator: object
    credit_office: object
    # url name -> [(kwargs, user)] for every pattern taking arguments
    arguments: dict[str, list[tuple[dict, object]]] = field(default_factory=dict)

    def users_for(self, route: str) -> list:
        """The accounts that use a page without arguments, by the audience its path names."""
        if route.startswith("agency/") and route != "agency/register/":
            return [self.agency, _user("agency_demo2")]
        if route.startswith("buyer/"):
            return [self.buyer]
        if route.startswith("supervisor/"):
            return [self.supervisor, self.credit_office]
        if route.startswith("operator/"):
            return [self.operator]
        if route.startswith("me/"):
            return [self.agency, self.buyer, self.supervisor, self.operator]
        return [None, self.buyer]


def _arguments(world: World) -> dict[str, list[tuple[dict, object]]]:
    projects = _one_per(Project.objects.all())
    engagements = _one_per(Engagement.objects.all())
    cases = _one_per(CreditCase.objects.all())
    memberships = _one_per(Membership.objects.all())
    entries = _one_per(LedgerEntry.objects.filter(subject__agency__isnull=False), "kind")
    challenges = _one_per(Challenge.objects.all())
    complaints = _one_per(ServiceComplaint.objects.all())
    objections = _one_per(Objection.objects.all())
    repairs = _one_per(RepairRequest.objects.all())
    agencies = list(Agency.objects.filter(staff__isnull=False).distinct().order_by("pk")[:3])
    units = list(BuyerUnit.objects.order_by("pk")[:2])

    def bidder(project: Project):
        signup = project.signups.order_by("pk").first()
        return _agency_user(signup.agency) if signup else world.agency

    def by_code(user_of: Callable) -> list[tuple[dict, object]]:
        return [({"code": p.code}, user_of(p)) for p in projects]

    buyer_code = by_code(lambda p: _buyer_user(p.buyer))
    # The buyer's own page of a project shows the step forms of its state and stage: every project.
    buyer_page = [({"code": p.code}, _buyer_user(p.buyer)) for p in Project.objects.order_by("pk")]
    out: dict[str, list[tuple[dict, object]]] = {
        "agency-objection-new": [({"entry_id": e.pk}, _agency_user(e.subject.agency)) for e in entries],
        "agency-repair-new": [({"entry_id": e.pk}, _agency_user(e.subject.agency)) for e in entries],
        "agency-case-respond": [({"pk": c.pk}, _agency_user(c.agency)) for c in cases],
        "agency-engagement": [({"pk": e.pk}, _agency_user(e.agency)) for e in engagements],
        "agency-project": by_code(bidder),
        "agency-challenge-new": by_code(bidder),
        "agency-challenge": [({"pk": c.pk}, _agency_user(c.agency)) for c in challenges],
        "agency-service-complaint": [({"pk": c.pk}, _agency_user(c.agency)) for c in complaints],
        "buyer-project": buyer_page,
        "buyer-challenges": buyer_code,
        "buyer-challenge": [({"pk": c.pk}, _buyer_user(c.project.buyer)) for c in challenges],
        "supervisor-application": [({"pk": m.pk}, world.supervisor) for m in memberships],
        "supervisor-renew": [({"pk": m.pk}, world.supervisor) for m in memberships],
        "supervisor-event": [({"pk": e.pk}, world.supervisor) for e in entries],
        "supervisor-event-withdraw": [({"pk": e.pk}, world.supervisor) for e in entries],
        "supervisor-case": [({"pk": c.pk}, world.supervisor) for c in cases],
        "supervisor-objection": [({"pk": o.pk}, world.supervisor) for o in objections],
        "supervisor-repair": [({"pk": r.pk}, world.supervisor) for r in repairs],
        "supervisor-challenge": [({"pk": c.pk}, world.supervisor) for c in challenges],
        "supervisor-service-complaint": [({"pk": c.pk}, world.supervisor) for c in complaints],
        "supervisor-risk-flag": [({"pk": f.pk}, world.supervisor) for f in RiskFlag.objects.order_by("pk")[:2]],
        "operator-project": by_code(lambda p: world.operator),
        "operator-identity": [({"pk": v.pk}, world.operator) for v in _one_per(IdentityVerification.objects.all())],
        "draw-proof": by_code(lambda p: None),
        "draw-proof-json": by_code(lambda p: None),
        "project-public": by_code(lambda p: None),
        "agency-profile": [({"uscc": a.uscc}, None) for a in agencies],
        "buyer-record": [({"uscc": u.uscc}, None) for u in units],
        "service-complaint-new": [({"uscc": a.uscc}, user) for a in agencies[:1] for user in (None, world.buyer)],
        "exchange-standin-list": [({"source": "sxbzxr"}, None)],
        # OCDS (JSON files, no form: visited for 5xx only): a project's, one that is not, a month and junk
        "ocds-release-package": [({"ocid": ocid_for(p.code)}, None) for p in projects] + [({"ocid": "junk"}, None)],
        "ocds-record-package": [({"ocid": ocid_for(p.code)}, None) for p in projects] + [({"ocid": "junk"}, None)],
        "ocds-bulk-month": [({"month": "2026-11"}, None), ({"month": "junk"}, None)],
        # the monthly operations report: a month not generated, and no month at all (404s, never a 5xx)
        "supervisor-report": [({"month": "2026-11"}, world.supervisor), ({"month": "junk"}, world.supervisor)],
        "credit-report-verify": [
            ({"report_id": credit_report_issue(_verified_agency(), verify_url=str).report.pk}, None)
        ],
        # the REST API (JSON, no form: visited for 5xx only; its inputs are schemathesis' in tests/opendata)
        "api-project": by_code(lambda p: None),
        "api-draw": by_code(lambda p: None),
        "api-agency-signup": by_code(lambda p: None),
        "api-buyer-signups": by_code(lambda p: None),
        "api-agency": [({"uscc": a.uscc}, None) for a in agencies],
        "api-notice": [({"pk": "1"}, None), ({"pk": "junk"}, None)],
        "api-not-found": [({"rest": "nothing-here"}, None)],
        "api-token-revoke": [({"pk": 1}, world.agency)],
    }
    plans = list(InspectionPlan.objects.order_by("pk"))
    targets = list(InspectionTarget.objects.select_related("plan").order_by("pk")[:2])
    for name in ("supervisor-inspection", "supervisor-inspection-draw", "supervisor-inspection-close"):
        out[name] = [({"code": p.code}, world.supervisor) for p in plans]
    out["supervisor-inspection-record"] = [({"code": t.plan.code, "pk": t.pk}, world.supervisor) for t in targets]
    for name in ("inspection-public", "inspection-proof-json"):
        out[name] = [({"code": p.code}, None) for p in plans]
    for name in ("notice-list-kind", "notice-feed-kind-rss", "notice-feed-kind-atom"):
        out[name] = [({"kind": kind}, None) for kind in ("result", "warning")]
    # Every buyer page of a project: its own page shows the step forms, the step URLs answer a GET too.
    for route, pattern in _patterns():
        if route.startswith("buyer/projects/<str:code>/") and set(pattern.pattern.converters) == {"code"}:
            out.setdefault(pattern.name, buyer_code)
    return out


def _verified_agency() -> Agency:
    return Agency.objects.filter(identity_verified_at__isnull=False).order_by("pk").first()


def _patterns(resolver=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) for every pattern of the URL conf outside the admin and Wagtail's own views."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            if getattr(entry.urlconf_module, "__name__", "").startswith("wagtail"):
                continue  # the page tree's catch-all: notice pages, served by Wagtail (tests/cms)
            yield from _patterns(entry, route)
        else:
            yield route, entry


# --- forms as a browser sees them ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, textarea, number, date, select, checkbox, file, hidden, password, email, ...
    value: str = ""
    options: tuple[str, ...] = ()


@dataclass
class Form:
    page: str
    method: str
    action: str
    username: str | None
    fields: list[Field]

    @property
    def key(self) -> str:
        return f"{self.method} {self.action} as {self.username or 'anonymous'} ({', '.join(self.names)})"

    @property
    def names(self) -> list[str]:
        return sorted({f.name for f in self.fields})


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = {"method": attrs.get("method", "get").lower(), "action": attrs.get("action", ""), "f": []}
            self.forms.append(self._form)
        if self._form is None or (tag in ("input", "select", "textarea") and not attrs.get("name")):
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind not in ("submit", "button", "reset", "image"):
                self._form["f"].append({"name": attrs["name"], "kind": kind, "value": attrs.get("value", "")})
            elif attrs.get("name"):
                self._form["f"].append({"name": attrs["name"], "kind": "hidden", "value": attrs.get("value", "")})
        elif tag == "textarea":
            self._form["f"].append({"name": attrs["name"], "kind": "textarea", "value": ""})
        elif tag == "select":
            self._select = {"name": attrs["name"], "kind": "select", "value": "", "options": []}
            self._form["f"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": ""}
            self._select["options"].append(self._option)
        elif tag == "button" and attrs.get("name"):
            self._form["f"].append({"name": attrs["name"], "kind": "hidden", "value": attrs.get("value", "")})

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None


def _page_forms(url: str, html: str, username: str | None) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    forms = []
    for raw in parser.forms:
        target = urlsplit(urljoin("http://testserver" + url, raw["action"] or url))
        if target.netloc != "testserver" or target.path.startswith(("/admin/", "/cms/")):
            continue
        action = target.path + (f"?{target.query}" if target.query else "")
        if action.startswith(SKIPPED_ACTIONS):
            continue
        fields = []
        for f in raw["f"]:
            options = tuple((o["value"] if o["value"] is not None else o["text"].strip()) for o in f.get("options", []))
            fields.append(Field(f["name"], f["kind"], f["value"], options))
        forms.append(Form(url, raw["method"] if raw["method"] in ("get", "post") else "get", action, username, fields))
    return forms


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def forms_discover(world: World) -> tuple[list[Form], list[str]]:
    """Every form of every page, fetched as the account that uses it; and the pages visited."""
    forms: dict[str, Form] = {}
    visited: list[str] = []
    clients: dict[object, Client] = {}
    for route, pattern in _patterns():
        if pattern.name in DOWNLOADS or pattern.name is None:
            continue
        if pattern.pattern.converters:
            calls = world.arguments.get(pattern.name)
            assert calls is not None, f"{pattern.name} ({route}) takes arguments the world does not provide"
        else:
            calls = [({}, user) for user in world.users_for(route)]
        for kwargs, user in calls:
            url = reverse(pattern.name, kwargs=kwargs)
            client = clients.setdefault(user.pk if user else None, _client(user))
            response = client.get(url)
            assert response.status_code < 500, (url, user, response.status_code)
            visited.append(f"{url} as {user.username if user else 'anonymous'}: {response.status_code}")
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for form in _page_forms(url, response.content.decode(), user.username if user else None):
                # A filter (a GET form) answers everyone alike: it is sent once, as the first account found it.
                forms.setdefault(form.key if form.method == "post" else f"GET {form.action} {form.names}", form)
    return list(forms.values()), visited


# --- junk ----------------------------------------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"
UNICODE = ["😀👩‍👩‍👧‍👦🇨🇳", "\u202eأهلا\u202c", "e\u0301\u0301\u0301", "\ufeff\u200b\u200d", "𠜎𠜱𠝹", "\ud7ff\uffff"]
NUMBERS = ["1e30", "-1e30", "-0", "NaN", "nan", "Infinity", "-Infinity", "9" * 5000, "-1", "0", "1e-30", "0x10",
           "1,000", "１２３", "12.345678901234567890", "99999999999999999999.99", "1e999999"]  # fmt: skip
DATES = ["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "2026-00-10", "junk", "99999-01-01", "-2026-01-01",
         "2026-01-01T25:61", "2026-01-01 00:00", "20260101", "0000-00-00", "2100-01-01", "1999-12-31"]  # fmt: skip

blank = st.sampled_from(["", " ", "\t\n ", "\u3000", "\u00a0"])
long_text = st.builds(lambda s, n: (s or "x") * n, st.text(min_size=1, max_size=3), st.integers(10_000, 12_000))
control = st.text(alphabet=CONTROL, min_size=1, max_size=20)
unicode = st.sampled_from(UNICODE)
number = st.one_of(st.sampled_from(NUMBERS), st.integers(-(10**40), 10**40).map(str))
date = st.one_of(st.sampled_from(DATES), st.dates().map(str))
text = st.one_of(blank, long_text, control, unicode, number, date, st.text(max_size=50))


def _file(kind: str) -> SimpleUploadedFile:
    from django.conf import settings as django_settings

    big = django_settings.MAX_UPLOAD_BYTES + 1
    return {
        "oversized_pdf": lambda: SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * big, "application/pdf"),
        "exe_as_pdf": lambda: SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" * 64, "application/pdf"),
        "empty": lambda: SimpleUploadedFile("empty.pdf", b"", "application/pdf"),
        "png": lambda: SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"),
        "html": lambda: SimpleUploadedFile("x.html", b"<script>alert(1)</script>", "text/html"),
        "csv_junk": lambda: SimpleUploadedFile("list.csv", "名称,\x00\n".encode() * 50, "text/csv"),
        "csv_huge_field": lambda: SimpleUploadedFile(
            "list.csv", b'uscc,name,reason,source,listed_on\n"' + b"x" * 200_000 + b'",a,b,c,2026-01-01\n', "text/csv"
        ),
        "json_deep": lambda: SimpleUploadedFile("list.json", b"[" * 10_000 + b"]" * 10_000, "application/json"),
        "odd_name": lambda: SimpleUploadedFile("a" * 300 + ".pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    }[kind]()


files = st.sampled_from(
    ["oversized_pdf", "exe_as_pdf", "empty", "png", "html", "csv_junk", "csv_huge_field", "json_deep", "odd_name"]
).map(_file)


def _ids(form_field: Field) -> st.SearchStrategy:
    """A select's junk: its own options, other objects' ids, ids that do not exist, non-numbers."""
    own = [o for o in form_field.options if o is not None]
    junk = st.sampled_from(["999999999", "-1", "0", "abc", "1.5", "1e3", "", "9" * 400, "1 OR 1=1", "None"])
    return st.one_of(st.sampled_from(own), junk, st.integers(1, 400).map(str)) if own else junk


def value_for(form_field: Field) -> st.SearchStrategy:
    kind, name = form_field.kind, form_field.name
    if kind == "file":
        return files
    if kind == "select":
        return _ids(form_field)
    if kind in ("checkbox", "radio"):
        return st.one_of(st.just(form_field.value or "on"), st.sampled_from(["", "off", "2", "true", "☑"]), text)
    if kind == "number" or name in ("amount", "quote", "budget") or name.endswith(("_floor", "_ceiling")):
        return st.one_of(number, text)
    if kind in ("date", "datetime-local", "month") or "date" in name or name.endswith(("_from", "_to", "_on")):
        return st.one_of(date, text)
    if kind == "hidden" or name == "csrfmiddlewaretoken":
        # A hidden field (a form token, a step's action) is sometimes sent as the page gave it, so the junk
        # reaches the fields behind it; otherwise it is junk like the rest.
        return st.one_of(st.just(form_field.value), text)
    return text


def data_for(form: Form) -> st.SearchStrategy[dict]:
    """Per field: missing, one junk value, or the key repeated with several."""
    by_name: dict[str, list[Field]] = {}
    for f in form.fields:
        by_name.setdefault(f.name, []).append(f)
    strategies = {}
    for name, group in by_name.items():
        one = st.one_of(*(value_for(f) for f in group))
        strategies[name] = st.one_of(st.none(), one, one, one, st.lists(one, min_size=2, max_size=3))
    return st.fixed_dictionaries(strategies).map(lambda d: {k: v for k, v in d.items() if v is not None})


# --- what a refusal must leave as it was -----------------------------------------------------------------------

APPS = ("marketplace", "workflows", "credit_rules", "cms", "opendata")
# Rows a refusal legitimately writes, counted apart: the transition runner logs a refused attempt
# (TransitionLog, outcome refused_*) and keeps the gate's refusal (DecisionRecord, allowed=False) by design
# (docs/architecture.md, "A transition"). Only done transitions and allowing decisions count as writes.
# django-axes' access attempts (a refused login) are not in these apps and are not counted.
# The API's call log (opendata.ApiCall) is written for refused calls too, by design (docs/api.md): only the calls
# that succeeded count as writes.
COUNTED_APART = {
    TransitionLog: {"outcome": TransitionLog.Outcome.DONE},
    DecisionRecord: {"allowed": True},
    ApiCall: {"status__lt": 400},
}


def _plain_models() -> list:
    return [
        m
        for name in APPS
        for m in apps.get_app_config(name).get_models()
        if m not in COUNTED_APART and not m._meta.proxy and m._meta.managed
    ]


def snapshot() -> dict[str, object]:
    """Row counts of every model of the apps (one query), the counted-apart logs, and workflow states."""
    models = _plain_models()
    sql = " UNION ALL ".join(f"SELECT '{m._meta.label}', COUNT(*) FROM {m._meta.db_table}" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts: dict[str, object] = dict(cursor.fetchall())
    for model, where in COUNTED_APART.items():
        counts[model._meta.label] = model.objects.filter(**where).count()
    for model in apps.get_app_config("workflows").get_models():
        if any(f.name == "state" for f in model._meta.fields):
            counts[f"{model._meta.label}.state"] = hash(tuple(model.objects.order_by("pk").values_list("pk", "state")))
    return counts


def _error_messages(response) -> list[str]:
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", []) if storage is not None else []
    return [str(m) for m in queued if m.level >= message_levels.ERROR]


def _refused(form: Form, response) -> bool:
    if form.method == "get":
        return True  # a filter never writes
    if response.status_code in (301, 302, 303, 307, 308):
        return bool(_error_messages(response))
    # A step answered with a file to save (the agency's credit report, issued and recorded) was done, not refused.
    return not response.get("Content-Disposition", "").startswith("attachment")


def _short(data: dict) -> dict:
    def cut(v):
        if isinstance(v, list):
            return [cut(x) for x in v]
        if isinstance(v, SimpleUploadedFile):
            return f"<file {v.name[:40]} {v.size} bytes>"
        return v if len(v) < 80 else f"{v[:40]!r}…({len(v)} chars)"

    return {k: cut(v) for k, v in data.items()}


def junk_send(form: Form, user, data: dict) -> None:
    """One example: the junk sent as the form's account in a savepoint rolled back afterwards."""
    with transaction.atomic():
        before = snapshot()
        client = _client(user)
        if form.method == "post":
            response = client.post(form.action, data)
        else:
            response = client.get(form.action, {k: v for k, v in data.items() if not isinstance(v, SimpleUploadedFile)})
        where = f"{form.method.upper()} {form.action} as {form.username or 'anonymous'} with {_short(data)}"
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            trace = "".join(traceback.format_exception(*exc)[-6:]) if exc else ""
            raise AssertionError(f"{response.status_code} on {where}\n{trace}")
        if _refused(form, response):
            after = snapshot()
            changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
            assert not changed, f"refused ({response.status_code}) but wrote {changed} on {where}"
        transaction.set_rollback(True)


# --- the test --------------------------------------------------------------------------------------------------


@pytest.fixture
def world(django_capture_on_commit_callbacks) -> World:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    w = World(
        agency=_user("agency_demo"),
        buyer=_user("buyer_demo"),
        supervisor=_user("supervisor_demo"),
        operator=_user("operator_demo"),
        credit_office=_user("credit_office_demo"),
    )
    world_extend(w)
    w.arguments = _arguments(w)
    return w


def world_extend(w: World) -> None:
    """States the demo's seed does not hold, reached through the services (tests.factories), so their pages'
    forms are discovered too: a draft, a scored comparison awaiting marks, a challenge, a contract to sign,
    a service running and a result to accept; an application, a case, an objection and a complaint to decide."""
    from tests.factories import (
        AgencyFactory,
        awarded_project,
        contracted_engagement,
        contracting_project,
        delivered_engagement,
        draft_project,
        notified_case,
        submitted_application,
        warn,
    )
    from tests.helpers import pdf_file
    from workflows.services.complaints import challenges, service
    from workflows.services.credit import objections
    from workflows.services.inspections import plans as inspections
    from workflows.services.risk import risk_flag_store

    draft_project(w.buyer, "scored")
    awarded_project("scored", buyer=w.buyer)
    project, pool = awarded_project("draw", buyer=w.buyer)
    winner = project.signups.get(state__in=["selected", "confirmed"])
    agency, user = next((a, u) for a, u in pool if a != winner.agency)
    challenges.challenge_file(project=project, agency=agency, actor=user, grounds="资质证书已过期。")
    contracting_project(buyer=w.buyer, contract=True)
    contracted_engagement(buyer=w.buyer)
    delivered_engagement(buyer=w.buyer)
    demo_agency = AgencyStaff.objects.get(user=w.agency).agency
    service.service_complaint_file(agency=demo_agency, actor=w.buyer, grounds="成果质量差。", evidence=pdf_file())
    submitted_application()
    AgencyFactory(identity="submitted")  # a business licence awaiting the operator's review
    AgencyFactory(identity="rejected")
    notified_case(demo_agency, w.supervisor)
    entry = warn(demo_agency, w.supervisor)
    objections.objection_submit(entry=entry, actor=w.agency, reason="记录有误。")
    for drawn in (False, True):  # a random-inspection plan waiting for its draw, and one drawn with its targets
        plan = inspections.plan_create(
            profile=w.supervisor.supervisor,
            actor=w.supervisor,
            title="季度双随机抽查",
            region=None,
            category=None,
            period_start=datetime.date(2026, 12, 7),
            period_end=datetime.date(2026, 12, 31),
            inspectors=[w.supervisor.supervisor],
        )
        if drawn:
            assert inspections.plan_draw(plan=plan, actor=w.supervisor).ok
    risk_flag_store(Finding(kind=RiskFlag.Kind.QUOTES_EQUAL, key="junk-world", evidence={}, agencies=[demo_agency]))


def junk_test(form: Form, user):
    """The hypothesis test of one form: junk of each field's kind, sent as the account that found the form."""

    @settings(max_examples=EXAMPLES_PER_FORM * (4 if EXPLORE else 1), deadline=None, derandomize=not EXPLORE)
    @given(data=data_for(form))
    def junk(data):
        note(form.key)
        junk_send(form, user, data)

    # One example-database entry per form, so a failure replays for the form it was found on.
    junk.hypothesis.inner_test._hypothesis_internal_add_digest = form.key.encode()
    return junk


def test_junk_to_every_form_never_answers_5xx_and_a_refusal_writes_nothing(world):
    forms, visited = forms_discover(world)
    listing = "\n".join(f.key for f in forms)
    assert len(forms) >= MIN_FORMS, f"only {len(forms)} forms found on {len(visited)} pages:\n{listing}"
    users = {u.username: u for u in get_user_model().objects.filter(username__in={f.username for f in forms})}

    failures: list[str] = []
    for form in forms:
        try:
            junk_test(form, users.get(form.username))()
        except Exception as exc:  # collected, so one run reports every form that fails
            failures.append(f"{form.key}: {str(exc)[:3000]}")
    assert not failures, f"{len(failures)} of {len(forms)} forms failed:\n\n" + "\n\n".join(failures)
