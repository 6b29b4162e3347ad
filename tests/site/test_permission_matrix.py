"""The permission matrix: every URL pattern of the site, requested with GET and POST as every account.

The table of who may do what is ``tests/site/permission_table.py``; this module walks ``get_resolver()``
(Django's admin, Wagtail's admin, documents, the apps and Wagtail's page serving), fills each pattern's kwargs
with the FIRST party's objects from one world (an agency, a buyer unit, a supervisor in scope, each with an
object for every kwarg), and requests each pattern as the anonymous visitor, a member of the public, every
role and the wrong party of each role. It fails on:

* a pattern the table does not declare (or a row naming a pattern that no longer exists);
* any 5xx;
* an unexpected success for an account the table does not allow: a 2xx, or a 3xx whose target is not a login
  page (or Wagtail's refusal, back to the /cms/ dashboard) — for GET and POST alike;
* a refused request that wrote anything (no INSERT, UPDATE or DELETE on an app table, row counts unchanged);
* an allowed account refused (403/404/405) on GET of its own objects: the world really reaches the views.

Each request runs in a savepoint rolled back afterwards, so an allowed POST never changes the world.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.contrib import admin
from django.db import connection, transaction
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from cms.models import NoticePage
from marketplace.models import Region
from opendata.exports.reports import credit_report_issue
from opendata.ocds.mapping import ocid_for
from tests.factories import (
    QualificationFactory,
    UserFactory,
    accepted_engagement,
    agencies,
    buyer_user,
    credit_office_user,
    draft_project,
    notified_case,
    operator_user,
    published_project,
    record_event,
    signup_closed,
    stored_draw_project,
    supervisor_user,
    warn,
)
from tests.helpers import pdf_file
from tests.site import permission_table as table
from workflows.models import IdentityVerification, Membership, Project, RiskFlag, SignUp
from workflows.selectors.risk import Finding
from workflows.services.complaints import challenges as challenge_services
from workflows.services.complaints import service as service_complaints
from workflows.services.credit import objections as objection_services
from workflows.services.credit import repairs as repair_services
from workflows.services.inspections.plans import plan_create, plan_draw
from workflows.services.procurement import signups as signup_services
from workflows.services.reports import monthly_report_generate
from workflows.services.risk import risk_flag_store

pytestmark = pytest.mark.django_db

# --- the URL conf, walked -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """One URL pattern with the chain of patterns leading to it."""

    route: str  # the concatenated pattern strings, as Django prints them
    name: str  # namespace:name, or "" when unnamed
    chain: tuple  # the resolvers' patterns, then the pattern's own
    callback: Callable

    @property
    def key(self) -> str:
        """Its row in the table: the name, or the route when it has none (or shares its name)."""
        return self.name or self.route

    @property
    def kwarg_names(self) -> list[str]:
        names: list[str] = []
        for piece in self.chain:
            names += list(piece.regex.groupindex)
        return names


def url_patterns() -> list[Pattern]:
    """Every pattern of the URL conf, depth first, in the order Django tries them."""
    found: list[Pattern] = []

    def walk(resolver: URLResolver, chain: tuple, namespaces: tuple) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
                walk(entry, (*chain, entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                full = (*chain, entry.pattern)
                name = ":".join((*namespaces, entry.name)) if entry.name else ""
                found.append(Pattern("".join(str(p) for p in full), name, full, entry.callback))

    walk(get_resolver(), (), ())
    # A name shared by several patterns (Wagtail's settings views) is keyed by its route instead.
    seen: dict[str, int] = {}
    for p in found:
        seen[p.name] = seen.get(p.name, 0) + 1
    return [Pattern(p.route, "" if seen[p.name] > 1 else p.name, p.chain, p.callback) for p in found]


def family_of(pattern: Pattern) -> table.Family | None:
    for family in table.FAMILIES:
        if pattern.route.startswith(family.prefix):
            return family
    return None


# --- URLs from patterns -------------------------------------------------------------------------------------

ROUTE_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>\w+)>")
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")


def _piece(pattern, kwargs: dict, sample: str | None) -> str:
    if isinstance(pattern, RoutePattern):
        return ROUTE_PARAM.sub(lambda m: str(kwargs[m.group("name")]), str(pattern))
    assert isinstance(pattern, RegexPattern)
    text = NAMED_GROUP.sub(lambda m: str(kwargs[m.group(1)]), pattern._regex)
    text = text.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    if re.search(r"[()\[\]*+?|]", text.replace("\\.", "")):
        return sample if sample is not None else text  # a group without a name: a sample must be given
    return text.replace("\\", "")


# The URL of a regex pattern with unnamed groups (the resolver's own catch-alls).
REGEX_SAMPLES = {
    "wagtail_serve": "",  # the home page
    "wagtaildocs_serve": "1/nothing.pdf",
}


def url_for(pattern: Pattern, kwargs: dict) -> str:
    pieces = [_piece(p, kwargs, None) for p in pattern.chain[:-1]]
    pieces.append(_piece(pattern.chain[-1], kwargs, REGEX_SAMPLES.get(pattern.key)))
    return "/" + "".join(pieces)


# --- the world: an object of the first party for every kwarg --------------------------------------------------


@dataclass
class World:
    users: dict[str, object]
    clients: dict[str, Client]  # one per account, signed in (its session is part of the world)
    kwargs: dict[str, dict]  # by table key
    defaults: dict[str, object]  # by kwarg name, for framework patterns


def _world() -> World:
    supervisor = supervisor_user(username="m_supervisor")
    outsider = supervisor_user(
        regions=[Region.objects.get(code="441303")], all_categories=True, username="m_supervisor_out"
    )
    buyer = buyer_user(username="m_buyer")
    x, y, (agency, agency_user_) = agencies(3, supervisor=supervisor)
    ((other_agency, other_agency_user),) = agencies(1, supervisor=supervisor)
    # The service: the lowest quote wins a price selection, the first party's (the third quote) here.
    deal = accepted_engagement("price", buyer=buyer, pool=[x, y, (agency, agency_user_)])
    assert deal.engagement.agency == agency
    # A second project in publicity, which the first party signed up for with a proposal and lost, and challenges.
    project = published_project("price", buyer=buyer)
    for (bidder, user), quote in zip(
        [(agency, agency_user_), x, y], (Decimal("52345.67"), Decimal("61234.56"), Decimal("47123.45")), strict=True
    ):
        proposal = pdf_file("proposal.pdf") if bidder == agency else None
        outcome = signup_services.signup_submit(
            project=project, agency=bidder, actor=user, quote=quote, proposal=proposal
        )
        assert outcome.ok, outcome.refusals
    project = signup_closed(project)
    signup = SignUp.objects.get(project=project, agency=agency)
    challenge = challenge_services.challenge_file(
        project=project, agency=agency, actor=agency_user_, grounds="资质不符。", evidence=pdf_file("e.pdf")
    )
    assert challenge_services.challenge_answer(challenge=challenge, actor=buyer, text="资质经核实无误。").ok
    assert challenge_services.challenge_escalate(challenge=challenge, actor=agency_user_, grounds="答复不成立。").ok
    complaint = service_complaints.service_complaint_file(
        agency=agency, actor=buyer, grounds="报告错误。", evidence=pdf_file("c.pdf")
    )
    # The first party's credit: a warning (its event page), a poor rating under repair, an objection, a case.
    warning = warn(agency, supervisor)
    poor = record_event(agency, "RATING_POOR", at=timezone.now() - relativedelta(months=4))
    repair = repair_services.repair_submit(
        entry=poor, actor=agency_user_, correction="已建立成果复核制度。", evidence=pdf_file("r.pdf")
    )
    objection = objection_services.objection_submit(
        entry=warning, actor=agency_user_, reason="事实有误。", evidence=pdf_file("o.pdf")
    )
    case = notified_case(agency, supervisor)
    risk_flag_store(Finding(kind=RiskFlag.Kind.DIRECT_CONCENTRATION, key="world", evidence={}, agencies=[agency]))
    flag = RiskFlag.objects.get(key="world")
    licence = QualificationFactory(agency=agency, document=pdf_file("licence.pdf"))
    membership = Membership.objects.filter(agency=agency).latest("pk")
    draft = draft_project(buyer)
    draw = stored_draw_project(code="ZJCS-2026-000777")
    inspection_draft = _inspection_plan(supervisor)
    inspection = _inspection_plan(supervisor)
    assert plan_draw(plan=inspection, actor=supervisor).ok
    inspection_target = inspection.targets.order_by("pk").first()

    superuser = UserFactory(username="m_superuser", is_staff=True, is_superuser=True)
    users = {
        table.ANON: None,
        table.MEMBER: UserFactory(username="m_member"),
        table.AGENCY: agency_user_,
        table.AGENCY_OTHER: other_agency_user,
        table.BUYER: buyer,
        table.BUYER_OTHER: buyer_user(username="m_buyer_other"),
        table.SUPERVISOR: supervisor,
        table.SUPERVISOR_OUT: outsider,
        table.OPERATOR: operator_user("m_operator"),
        table.CREDIT_OFFICE: credit_office_user("m_credit_office"),
        table.SUPERUSER: superuser,
    }
    code = deal.project.code
    report = monthly_report_generate(timezone.localdate())
    kwargs = {
        "admin:app_list": {"app_label": sorted({m._meta.app_label for m in admin.site._registry})[0]},
        "agency-objection-new": {"entry_id": poor.pk},
        "agency-repair-new": {"entry_id": poor.pk},
        "agency-case-respond": {"pk": case.pk},
        "agency-file": {"kind": "contract", "pk": deal.engagement.pk},
        "agency-engagement": {"pk": deal.engagement.pk},
        "agency-project": {"code": project.code},
        "agency-challenge-new": {"code": project.code},
        "agency-challenge": {"pk": challenge.pk},
        "agency-service-complaint": {"pk": complaint.pk},
        "buyer-project-edit": {"code": draft.code},
        "buyer-project-discard": {"code": draft.code},
        "buyer-engagement-file": {"code": code, "pk": deal.engagement.pk, "kind": "contract"},
        "buyer-proposal-file": {"code": project.code, "pk": signup.pk},
        "buyer-challenges": {"code": project.code},
        "buyer-challenge": {"pk": challenge.pk},
        "supervisor-application": {"pk": membership.pk},
        "supervisor-renew": {"pk": membership.pk},
        "supervisor-event": {"pk": warning.pk},
        "supervisor-event-withdraw": {"pk": warning.pk},
        "supervisor-case": {"pk": case.pk},
        "supervisor-risk-flag": {"pk": flag.pk},
        "supervisor-objection": {"pk": objection.pk},
        "supervisor-repair": {"pk": repair.pk},
        "supervisor-file": {"kind": "qualification", "pk": licence.pk},
        "supervisor-challenge": {"pk": challenge.pk},
        "supervisor-service-complaint": {"pk": complaint.pk},
        "supervisor-report": {"month": f"{report.month:%Y-%m}"},
        "supervisor-report-pdf": {"month": f"{report.month:%Y-%m}"},
        "operator-project": {"code": project.code},
        "operator-identity": {"pk": IdentityVerification.objects.get(agency=agency).pk},
        "operator-identity-licence": {"pk": IdentityVerification.objects.get(agency=agency).pk},
        "service-complaint-new": {"uscc": agency.uscc},
        "complaint-file": {"kind": "challenge", "pk": challenge.pk},
        "draw-proof-json": {"code": draw.code},
        "draw-proof": {"code": draw.code},
        "ocds-release-package": {"ocid": ocid_for(code)},
        "ocds-record-package": {"ocid": ocid_for(code)},
        "ocds-bulk-month": {"month": timezone.localtime(Project.objects.get(code=code).published_at).strftime("%Y-%m")},
        "supervisor-inspection": {"code": inspection.code},
        "supervisor-inspection-draw": {"code": inspection_draft.code},
        "supervisor-inspection-close": {"code": inspection.code},
        "supervisor-inspection-record": {"code": inspection.code, "pk": inspection_target.pk},
        "inspection-public": {"code": inspection.code},
        "inspection-proof-json": {"code": inspection.code},
        "project-public": {"code": code},
        "api-project": {"code": code},
        "api-agency": {"uscc": agency.uscc},
        "api-draw": {"code": draw.code},
        "agency-profile": {"uscc": agency.uscc},
        "buyer-record": {"uscc": buyer.buyerstaff_set.get().unit.uscc},
        "list-download": {"table": "redlist", "fmt": "csv"},
        "notice-download": {"fmt": "xlsx"},
        "notice-download-kind": {"fmt": "csv"},
        "credit-report-verify": {"report_id": credit_report_issue(agency, verify_url=str).report.pk},
    }
    defaults = {
        "code": code,  # every other buyer project step: the first party's project in service
        "kind": "result",  # notice lists of one kind
        "user_id": agency_user_.pk,
        "group_id": 1,
        "app_label": "cms",
        "model_name": "noticepage",
        "app_name": "cms",
        "content_type_app_name": "cms",
        "content_type_model_name": "noticepage",
        "action": "delete",
        "action_name": "delete",
        "url": "nothing-here/",
        "uidb64": "MQ",
        "token": "set-password",
        "filter_spec": "original",
        "object_id": 1,
        "object_pk": 1,
        "content_type_id": 1,
    }
    return World(users=users, clients={}, kwargs=kwargs, defaults=defaults)


def _notice_kwargs(world: World) -> None:
    """Wagtail's page kwargs: a notice of the first party (published once the world's transactions "committed")."""
    agency_uscc = world.kwargs["agency-profile"]["uscc"]
    notice = NoticePage.objects.filter(subject_uscc=agency_uscc).order_by("pk").first()
    assert notice is not None, f"the first party's notices were not published ({NoticePage.objects.count()} notices)"
    parent = notice.get_parent().pk
    world.defaults.update(page_id=notice.pk, page_pk=notice.pk, page_to_move_id=notice.pk)
    world.kwargs["api-notice"] = {"pk": notice.pk}
    world.defaults.update(parent_page_id=parent, destination_id=parent)


def kwargs_for(pattern: Pattern, world: World) -> dict:
    """The first party's objects for the pattern's kwargs: named for the app's URLs, by kwarg name otherwise."""
    own = dict(world.kwargs.get(pattern.key, {}))
    model_admin = getattr(pattern.callback, "model_admin", None)
    for name in pattern.kwarg_names:
        if name in own:
            continue
        if name in ("object_id", "id") and model_admin is not None:
            first = model_admin.model._default_manager.order_by("pk").values_list("pk", flat=True).first()
            own[name] = first if first is not None else 1
        else:
            own[name] = world.defaults.get(name, 1)
    return own


def _inspection_plan(supervisor):
    """A random-inspection plan of the supervisor, published through the service."""
    return plan_create(
        profile=supervisor.supervisor,
        actor=supervisor,
        title="权限矩阵抽查计划",
        region=None,
        category=None,
        period_start=timezone.localdate(),
        period_end=timezone.localdate() + relativedelta(months=1),
        inspectors=[supervisor.supervisor],
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once for the module in a transaction rolled back at its end; uploads in a folder of its own."""
    media = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):  # notices published, as after a real commit
            built = _world()
        built.defaults["media"] = str(media)
        _notice_kwargs(built)
        for account, user in built.users.items():
            built.clients[account] = _client(user)
        yield built
        transaction.set_rollback(True)


# --- requests -------------------------------------------------------------------------------------------------

LOGIN_PAGES = ("/accounts/login/", "/admin/login/", "/cms/login/", "/_util/login/")
REFUSED_STATUS = {400, 401, 403, 404, 405}
APP_LABELS = ("marketplace", "workflows", "credit_rules", "cms", "auth", "guardian", "wagtailcore", "axes")
WRITE = re.compile(r'^\s*(INSERT|UPDATE|DELETE)\b(?:\s+INTO|\s+FROM)?\s+"?(\w+)"?', re.IGNORECASE)
# What the framework keeps about the session itself, not data; the API's call log, written for refused calls too.
NOT_DATA = {"django_session", "opendata_apicall"}


def _count_sql() -> str:
    tables = sorted(
        {
            m._meta.db_table
            for label in APP_LABELS
            if label in apps.app_configs
            for m in apps.get_app_config(label).get_models()
        }
    )
    return "SELECT " + ", ".join(f'(SELECT COUNT(*) FROM "{t}")' for t in tables)


def _counts(sql: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@dataclass
class Answer:
    status: int
    location: str
    writes: list[str]
    counts_changed: bool
    error: str = ""


def refusal(answer: Answer, extra_targets: tuple[str, ...] = ()) -> bool:
    """Whether the response refused: a 4xx the table counts as no, or a redirect to a login page."""
    if answer.status in REFUSED_STATUS:
        return True
    if answer.status in (301, 302, 303, 307, 308):
        target = urlsplit(answer.location).path
        return target.startswith(LOGIN_PAGES) or target in extra_targets
    return False


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


class Requester:
    """One logged-in client per account; each request in a savepoint rolled back after it is judged."""

    def __init__(self, world: World):
        self.world = world
        self.count_sql = _count_sql()

    def client(self, account: str, *, fresh: bool = False) -> Client:
        """The account's client; ``fresh``: one of its own, signed in inside the request's savepoint."""
        return _client(self.world.users[account]) if fresh else self.world.clients[account]

    def ask(self, account: str, method: str, url: str, *, fresh: bool = False, demo: bool = False) -> Answer:
        with transaction.atomic(), override_settings(ZJCS_DEMO=demo):
            client = self.client(account, fresh=fresh)
            before = _counts(self.count_sql) if method == "POST" else None
            error = ""
            with CaptureQueriesContext(connection) as queries:
                try:
                    response = client.generic(method, url)
                    status, location = response.status_code, response.get("Location", "")
                except Exception as exc:  # a server error, reported with the others
                    status, location, error = 500, "", f"{type(exc).__name__}: {exc}"
            writes = []
            for query in queries.captured_queries:
                match = WRITE.match(query["sql"])
                if match and match.group(2) not in NOT_DATA:
                    writes.append(f"{match.group(1).upper()} {match.group(2)}")
            changed = before is not None and _counts(self.count_sql) != before
            transaction.set_rollback(True)
        return Answer(status, location, writes, changed, error)


@pytest.fixture(scope="module")
def requester(world) -> Requester:
    return Requester(world)


@pytest.fixture
def media(world, settings):
    """The world's uploads, for the downloads."""
    settings.MEDIA_ROOT = world.defaults["media"]


# Session-ending patterns get a client of their own (the shared ones must stay signed in).
SESSION_ENDING = {"logout", "admin:logout", "wagtailadmin_logout"}


def judge(
    requester: Requester,
    pattern: Pattern,
    url: str,
    accounts: tuple[str, ...],
    allowed: dict[str, frozenset[str]],
    *,
    must_answer: frozenset[str] = frozenset(),
    refusal_targets: tuple[str, ...] = (),
    demo: bool = False,
) -> list[str]:
    """Request ``url`` as each account with GET and POST; the problems found, one line each."""
    problems = []
    fresh = pattern.key in SESSION_ENDING
    for method in ("GET", "POST"):
        for account in accounts:
            answer = requester.ask(account, method, url, fresh=fresh, demo=demo)
            where = f"{method} {url} [{pattern.key}] as {account}: {answer.status} {answer.location}".rstrip()
            if answer.status >= 500:
                problems.append(f"{where} — server error {answer.error}")
            elif account in allowed[method]:
                if method == "GET" and account in must_answer and answer.status not in (200, 302):
                    problems.append(f"{where} — allowed, but refused: the world does not reach the view")
                elif method == "GET" and account in must_answer and refusal(answer, refusal_targets):
                    problems.append(f"{where} — allowed, but sent to log in")
            else:
                if not refusal(answer, refusal_targets):
                    problems.append(f"{where} — NOT ALLOWED by the table, but not refused")
                if answer.writes or answer.counts_changed:
                    problems.append(f"{where} — refused, but wrote {answer.writes or 'rows'}")
    return problems


# --- the tests ----------------------------------------------------------------------------------------------


def test_every_url_pattern_is_declared_in_the_table():
    patterns = url_patterns()
    assert len(patterns) > 400, "the URL conf was not walked"
    missing = [p for p in patterns if family_of(p) is None and p.key not in table.APP]
    assert not missing, "URL patterns missing from the permission table — declare each in APP of " + (
        "tests/site/permission_table.py (who may GET, who may POST):\n"
        + "\n".join(f"  {p.key!r}  ({p.route})" for p in missing)
    )
    keys = {p.key for p in patterns}
    stale = sorted(set(table.APP) - keys)
    assert not stale, f"rows of the permission table name no URL pattern any more: {stale}"


def test_every_pattern_builds_a_url_that_resolves_to_itself(world):
    wrong = []
    for pattern in url_patterns():
        url = url_for(pattern, kwargs_for(pattern, world))
        match = resolve(urlsplit(url).path)
        if match.route != pattern.route.replace("^", "", 0) and match.func is not pattern.callback:
            wrong.append(f"{pattern.key}: {url} resolves to {match.route}")
    assert not wrong, "\n".join(wrong)


def test_the_apps_urls_answer_as_the_table_says(world, requester, media):
    problems = []
    for pattern in url_patterns():
        if family_of(pattern) is not None:
            continue
        rule = table.APP[pattern.key]
        url = url_for(pattern, kwargs_for(pattern, world))
        allowed = {"GET": rule.get, "POST": rule.post}
        must_answer = rule.get if rule.reached else table.NOBODY
        problems += judge(requester, pattern, url, table.ACCOUNTS, allowed, must_answer=must_answer, demo=rule.demo)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


@pytest.mark.parametrize("prefix", [f.prefix for f in table.FAMILIES])
def test_the_framework_families_refuse_as_the_table_says(world, requester, prefix):
    family = next(f for f in table.FAMILIES if f.prefix == prefix)
    problems = []
    accounts = tuple(a for a in table.ACCOUNTS if a in (family.refused | family.moderators) & family.requested)
    for pattern in url_patterns():
        if family_of(pattern) is not family:
            continue
        url = url_for(pattern, kwargs_for(pattern, world))
        opened = family.open_to.get(pattern.key, table.Rule(get=table.NOBODY, post=table.NOBODY))
        moderators = family.moderator_roles(pattern.key)
        allowed = {"GET": opened.get | moderators, "POST": opened.post | moderators}
        found = judge(requester, pattern, url, accounts, allowed, refusal_targets=family.refusal_targets)
        if pattern.key in family.known_errors:  # the framework's own, never to a refused role
            found = [p for p in found if "server error" not in p or any(f" as {a}:" in p for a in family.refused)]
        problems += found
        answer = requester.ask(table.SUPERUSER, "GET", url)
        if answer.status >= 500 and pattern.key not in family.known_errors:
            problems.append(f"GET {url} [{pattern.key}] as superuser: {answer.status} — server error {answer.error}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
