"""THE permission table: for every URL pattern of the site, who may GET it and who may POST it.

``tests/site/test_permission_matrix.py`` walks the URL conf, requests every pattern with GET and POST as every
account below (and as the wrong party of each role), and fails on a pattern this table does not declare, on an
unexpected success, on a refused role that still wrote something, and on an allowed role that was refused.

A new URL is declared here, in ``APP`` (by its name, or by its route when it has none), before it can ship.
Framework-owned families (Django's admin under ``admin:``, Wagtail's admin under ``cms``) are declared by one
rule each in ``FAMILIES``; their patterns are still enumerated and requested one by one.

Accounts (``ACCOUNTS``): the anonymous visitor; a signed-in account with no role (a member of the public);
each role; and the WRONG PARTY of each role with objects — the same role for another agency
(``AGENCY_OTHER``), another buyer unit (``BUYER_OTHER``), a supervisor whose scope does not cover the agency
(``SUPERVISOR_OUT``). Every URL kwarg points at the first party's objects (agency, buyer unit, a supervisor in
scope), so a wrong party listed as allowed means "the object is not private to its party" (a published project
any agency may open); a wrong party left out must be refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANON = "anonymous"
MEMBER = "member"  # signed in, no role: a member of the public
AGENCY = "agency"
AGENCY_OTHER = "agency_other"
BUYER = "buyer"
BUYER_OTHER = "buyer_other"
SUPERVISOR = "supervisor"
SUPERVISOR_OUT = "supervisor_out"
OPERATOR = "operator"
CREDIT_OFFICE = "credit_office"
SUPERUSER = "superuser"

ACCOUNTS = (
    ANON,
    MEMBER,
    AGENCY,
    AGENCY_OTHER,
    BUYER,
    BUYER_OTHER,
    SUPERVISOR,
    SUPERVISOR_OUT,
    OPERATOR,
    CREDIT_OFFICE,
    SUPERUSER,
)

NOBODY: frozenset[str] = frozenset()
PUBLIC = frozenset(ACCOUNTS)
SIGNED_IN = PUBLIC - {ANON}
ANY_AGENCY = frozenset({AGENCY, AGENCY_OTHER})
ANY_BUYER = frozenset({BUYER, BUYER_OTHER})
ANY_SUPERVISOR = frozenset({SUPERVISOR, SUPERVISOR_OUT})
OWN_AGENCY = frozenset({AGENCY})
OWN_BUYER = frozenset({BUYER})
SUPERVISOR_IN_SCOPE = frozenset({SUPERVISOR})
OPERATORS = frozenset({OPERATOR})


@dataclass(frozen=True)
class Rule:
    """Who may GET and who may POST one pattern (the roles of ``ACCOUNTS``); ``note`` says why when not obvious.

    ``demo``: the page exists in demo mode only; it is requested with ``ZJCS_DEMO`` on.
    """

    get: frozenset[str]
    post: frozenset[str]
    note: str = ""
    demo: bool = False
    reached: bool = True  # False: nothing of the kind exists in the world (the allowed GET is not required to answer)


def read(who: frozenset[str], note: str = "", *, reached: bool = True) -> Rule:
    """A page read with GET only (POST answers 405)."""
    return Rule(get=who, post=NOBODY, note=note, reached=reached)


def page(who: frozenset[str], note: str = "", *, reached: bool = True) -> Rule:
    """A page with a form: the same roles GET and POST it."""
    return Rule(get=who, post=who, note=note, reached=reached)


def step(who: frozenset[str], note: str = "") -> Rule:
    """A step posted from a page (GET answers 405)."""
    return Rule(get=NOBODY, post=who, note=note)


# --- the project's own URLs, by name (``namespace:name``) or, unnamed, by route -----------------------------

APP: dict[str, Rule] = {
    # config
    "healthz": read(PUBLIC),
    "language-switch": read(PUBLIC, "a preference, a GET redirect back (config.views)"),
    "login": page(PUBLIC, "a signed-in account is sent on to /me/"),
    "logout": step(PUBLIC, "Django's LogoutView: POST only"),
    # marketplace
    "agency-register": page(PUBLIC, "opens a new agency and its account"),
    # the workspace of every signed-in account
    "dashboard": read(SIGNED_IN),
    "inbox": read(SIGNED_IN),
    "notification-preferences": page(SIGNED_IN),
    "api-tokens": page(SIGNED_IN, "an organisation's administrator makes tokens; others see why not (POST refused)"),
    # the agency: its own pages (no kwargs: each agency sees its own), and its own objects by id
    "agency-membership": page(ANY_AGENCY),
    "agency-identity": page(ANY_AGENCY, "its own verification; POST resubmits a rejected licence"),
    "agency-qualification-add": page(ANY_AGENCY),
    "agency-credit": read(ANY_AGENCY),
    "agency-objection-new": page(OWN_AGENCY),
    "agency-repair-new": page(OWN_AGENCY),
    "agency-cases": read(ANY_AGENCY),
    "agency-case-respond": page(OWN_AGENCY),
    "agency-file": page(OWN_AGENCY, "a download; answers POST as GET"),
    "agency-projects": read(ANY_AGENCY),
    "agency-signups": read(ANY_AGENCY),
    "agency-engagement": page(OWN_AGENCY),
    "agency-project": page(ANY_AGENCY, "a published project: every agency may open it and sign up"),
    "agency-complaints": page(ANY_AGENCY, "answers POST as GET"),
    "agency-challenge-new": page(ANY_AGENCY, "the form says why a non-bidder may not challenge"),
    "agency-challenge": page(OWN_AGENCY, "the challenger only"),
    "agency-service-complaint": page(OWN_AGENCY, "the agency complained about"),
    # the buyer: its own projects by code
    "buyer-projects": page(ANY_BUYER, "answers POST as GET"),
    "buyer-project-new": page(ANY_BUYER),
    "buyer-project-edit": page(OWN_BUYER),
    "buyer-project": page(OWN_BUYER, "answers POST as GET"),
    "buyer-project-submit": step(OWN_BUYER),
    "buyer-project-cancel": page(OWN_BUYER),
    "buyer-project-discard": page(OWN_BUYER),
    "buyer-project-relaunch": step(OWN_BUYER),
    "buyer-project-marks": step(OWN_BUYER),
    "buyer-project-scoring-finish": step(OWN_BUYER),
    "buyer-project-confirm-winner": step(OWN_BUYER),
    "buyer-contract-sign": step(OWN_BUYER),
    "buyer-service-extend": step(OWN_BUYER),
    "buyer-after-measure": step(OWN_BUYER),
    "buyer-result-review": step(OWN_BUYER),
    "buyer-rating": step(OWN_BUYER),
    "buyer-payment": step(OWN_BUYER),
    "buyer-engagement-file": page(OWN_BUYER, "a download; answers POST as GET"),
    "buyer-proposal-file": page(OWN_BUYER, "a download after the deadline; answers POST as GET"),
    "buyer-challenges": page(OWN_BUYER, "answers POST as GET"),
    "buyer-challenge": page(OWN_BUYER),
    # the supervisor: the queue and the forms of any supervisor, each object in its scope only
    "supervisor-queue": page(ANY_SUPERVISOR, "answers POST as GET"),
    "supervisor-application": page(SUPERVISOR_IN_SCOPE),
    "supervisor-renew": step(SUPERVISOR_IN_SCOPE),
    "supervisor-event-new": page(ANY_SUPERVISOR, "the agency picker lists the agencies in scope only"),
    "supervisor-event": page(SUPERVISOR_IN_SCOPE, "answers POST as GET"),
    "supervisor-event-withdraw": step(SUPERVISOR_IN_SCOPE),
    "supervisor-case-new": page(ANY_SUPERVISOR),
    "supervisor-case": page(SUPERVISOR_IN_SCOPE),
    "supervisor-risk-flags": read(ANY_SUPERVISOR, "each sees the flags of its own scope"),
    "supervisor-risk-flag": page(SUPERVISOR_IN_SCOPE),
    "supervisor-objection": page(SUPERVISOR_IN_SCOPE),
    "supervisor-repair": page(SUPERVISOR_IN_SCOPE),
    "supervisor-external-import": page(
        ANY_SUPERVISOR | {CREDIT_OFFICE}, "a supervisor's file must name agencies in its scope only"
    ),
    "supervisor-file": page(SUPERVISOR_IN_SCOPE, "a download; answers POST as GET"),
    "policy-whatif": read(ANY_SUPERVISOR | {CREDIT_OFFICE}, "a draft policy replayed over the whole ledger"),
    "policy-whatif-csv": read(ANY_SUPERVISOR | {CREDIT_OFFICE}, "a download; without a draft, back to the page"),
    "policy-whatif-publish": step(frozenset({CREDIT_OFFICE}), "publishes a draft (as in the admin) after a check"),
    "supervisor-challenge": page(SUPERVISOR_IN_SCOPE, "in scope of the winner"),
    "supervisor-service-complaint": page(SUPERVISOR_IN_SCOPE),
    # the monthly operations reports: supervisors and the operator
    "supervisor-reports": read(ANY_SUPERVISOR | OPERATORS),
    "supervisor-report": read(ANY_SUPERVISOR | OPERATORS),
    "supervisor-report-pdf": read(ANY_SUPERVISOR | OPERATORS, "a download"),
    # random inspections: any supervisor's own list and form; a plan to the supervisor who published it
    "supervisor-inspections": read(ANY_SUPERVISOR),
    "supervisor-inspection-new": page(ANY_SUPERVISOR, "inspectors of the supervisor's own department only"),
    "supervisor-inspection": read(SUPERVISOR_IN_SCOPE, "the plan's supervisor (and its inspectors)"),
    "supervisor-inspection-draw": step(SUPERVISOR_IN_SCOPE, "the plan's supervisor"),
    "supervisor-inspection-close": step(
        SUPERVISOR_IN_SCOPE, "the plan's supervisor; refused while results are missing"
    ),
    "supervisor-inspection-record": step(SUPERVISOR_IN_SCOPE, "the plan's supervisor or the assigned inspector"),
    # the operator
    "operator-queue": read(OPERATORS),
    "operator-lockouts": page(OPERATORS),
    # the credit exchange (opendata): the operator's page, its downloads, and the local stand-in platform
    "operator-exchange": page(OPERATORS, "POST: push now or pull now; without an action, a redirect"),
    "operator-exchange-fb-csv": page(OPERATORS, "a download; answers POST as GET"),
    "operator-exchange-fb-json": page(OPERATORS, "a download; answers POST as GET"),
    "operator-exchange-out-csv": page(OPERATORS, "a download; answers POST as GET"),
    "operator-exchange-out-json": page(OPERATORS, "a download; answers POST as GET"),
    "exchange-standin-messages": step(PUBLIC, "the stand-in credit platform: a machine endpoint (its token when set)"),
    "exchange-standin-feedback": step(PUBLIC, "the stand-in credit platform: a machine endpoint (its token when set)"),
    "exchange-standin-list": read(PUBLIC, "the stand-in credit platform serves its lists (its token when set)"),
    "exchange-standin-faults": step(PUBLIC, "the stand-in credit platform's fault switch (its token when set)"),
    "operator-project": page(OPERATORS),
    "operator-identity-queue": read(OPERATORS),
    "operator-identity": page(OPERATORS, "verify or reject an agency's business licence"),
    "operator-identity-licence": read(OPERATORS, "the licence scan under review"),
    "demo-clock": Rule(
        get=OPERATORS | ANY_SUPERVISOR, post=OPERATORS | ANY_SUPERVISOR, note="demo mode only", demo=True
    ),
    # complaints anyone signed in may file, and their evidence
    "service-complaint-new": page(SIGNED_IN, "a buyer or a member of the public complains about a service"),
    "complaint-file": page(
        OWN_AGENCY | OWN_BUYER | SUPERVISOR_IN_SCOPE,
        "a challenge's evidence: the challenger, the project's buyer, a supervisor in scope of the winner "
        "(not the superuser: guardian lets it act for every organisation, the role is asked too)",
    ),
    # public procurement pages and the draw
    "draw-verify": page(PUBLIC, "anyone checks a proof"),
    "draw-spec": read(PUBLIC),
    "draw-spec-text": read(PUBLIC),
    "draw-proof-json": read(PUBLIC),
    "draw-proof": read(PUBLIC),
    "ocds-index": read(PUBLIC),
    "ocds-doc": read(PUBLIC),
    "ocds-release-package": read(PUBLIC, "open data: a published project's OCDS releases"),
    "ocds-record-package": read(PUBLIC, "open data: a published project's OCDS record"),
    "ocds-bulk-compiled": read(PUBLIC),
    "ocds-bulk-month": read(PUBLIC),
    "inspection-public": read(PUBLIC, "the plan, its proof and results: organisations and inspector codes only"),
    "inspection-proof-json": read(PUBLIC),
    "project-search": read(PUBLIC),
    # opendata: the REST API (docs/api.md). Public endpoints read with GET; token endpoints refuse every session
    # (a token, not a login, is their credential: tests/opendata/test_api_tokens.py), their refusals logged.
    "api-docs": read(PUBLIC),
    "api-schema": read(PUBLIC),
    "api-projects": read(PUBLIC),
    "api-project": read(PUBLIC),
    "api-notices": read(PUBLIC),
    "api-notice": read(PUBLIC, "a notice of the first party"),
    "api-agencies": read(PUBLIC),
    "api-agency": read(PUBLIC),
    "api-blacklist": read(PUBLIC),
    "api-redlist": read(PUBLIC),
    "api-draws": read(PUBLIC),
    "api-draw": read(PUBLIC),
    "api-statistics": read(PUBLIC),
    "api-not-found": read(NOBODY, "any other path under /api/: a 404 in problem details"),
    "api-agency-projects": read(NOBODY, "token only"),
    "api-agency-signup": read(NOBODY, "token only"),
    "api-agency-credit": read(NOBODY, "token only"),
    "api-buyer-projects": read(NOBODY, "token only"),
    "api-buyer-signups": read(NOBODY, "token only"),
    "api-supervisor-queue": read(NOBODY, "token only"),
    "api-token-revoke": step(
        frozenset({AGENCY, BUYER, SUPERVISOR}), "the administrator's own token (none in the world: 403)"
    ),
    "project-public": read(PUBLIC),
    "statistics": read(PUBLIC),
    # public credit pages (credit_rules)
    "agency-directory": page(PUBLIC, "a read; answers POST as GET"),
    "agency-profile": page(PUBLIC, "a read; answers POST as GET"),
    "blacklist": page(PUBLIC, "a read; answers POST as GET"),
    "redlist": page(PUBLIC, "a read; answers POST as GET"),
    "credit-policy": page(PUBLIC, "a read; answers POST as GET"),
    "buyer-directory": page(PUBLIC, "a read; answers POST as GET"),
    "buyer-record": page(PUBLIC, "a read; answers POST as GET"),
    # public notices (cms)
    "notice-list": read(PUBLIC),
    "notice-feed-rss": read(PUBLIC),
    "notice-feed-atom": read(PUBLIC),
    "notice-list-kind": read(PUBLIC),
    "notice-feed-kind-rss": read(PUBLIC),
    "notice-feed-kind-atom": read(PUBLIC),
    # open data: the public lists' downloads, the agency's credit report and its public verification (opendata)
    "list-download": read(PUBLIC),
    "notice-download": read(PUBLIC),
    "notice-download-kind": read(PUBLIC),
    "agency-credit-report": step(ANY_AGENCY, "its own report, as a PDF download"),
    "credit-report-verify-any": page(PUBLIC, "anyone checks a report"),
    "credit-report-verify": page(PUBLIC, "anyone checks a report"),
    # Wagtail's public side: page serving (the home page, notice pages), documents, its page-privacy forms
    "wagtail_serve": page(PUBLIC, "Wagtail serves published pages to every method"),
    "wagtaildocs_serve": read(PUBLIC, "no document is private here; none in the world (404)", reached=False),
    "wagtaildocs_authenticate_with_password": page(PUBLIC, "no privacy restriction here (404)", reached=False),
    "wagtailcore_authenticate_with_password": page(PUBLIC, "no privacy restriction here (404)", reached=False),
    "wagtailcore_login": page(PUBLIC, "Wagtail's login for private pages"),
}


# --- framework-owned families: one rule per URL prefix ------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Every pattern under ``prefix``, declared by one rule; each is still requested one by one.

    ``refused``: roles refused on every pattern (sent to log in, or to the family's own refusal page
    ``refusal_targets``), except where ``open_to`` says otherwise (the login page, say). ``moderators``: roles let
    into the family for their own tasks only: refused everywhere but the keys of ``moderator_pages`` (each with the
    moderators it admits). ``known_errors``: the framework's own 5xx on junk input (never to a refused role).
    The superuser is requested with GET on every pattern; only a 5xx fails it (the apps' admin refuses it some
    writes on purpose, and a made-up id is a 404).
    """

    prefix: str
    refused: frozenset[str]
    moderators: frozenset[str]
    moderator_pages: dict[str, frozenset[str]]
    open_to: dict[str, Rule] = field(default_factory=dict)
    refusal_targets: tuple[str, ...] = ()
    known_errors: dict[str, str] = field(default_factory=dict)
    note: str = ""
    # The wrong party of a role is the same account to a framework: one of each is requested.
    requested: frozenset[str] = frozenset(ACCOUNTS) - {AGENCY_OTHER, BUYER_OTHER, SUPERUSER}

    def moderator_roles(self, key: str) -> frozenset[str]:
        if self.prefix == "admin/" and key.endswith("/<path:object_id>/"):
            return self.moderators  # Django's redirect of an object's bare URL to its change page, which decides
        return self.moderator_pages.get(key, NOBODY)


NOT_STAFF = frozenset({ANON, MEMBER, AGENCY, AGENCY_OTHER, BUYER, BUYER_OTHER})

# Django's admin: the platform credit office (staff, with the credit permissions of its group) and the superuser.
# Plain supervisors and operators are not staff (docs/architecture.md, "Authority").
ADMIN_STAFF = frozenset({CREDIT_OFFICE})
ADMIN_MODERATOR_PAGES = {
    "admin:credit_rules_commitmentletter_add": ADMIN_STAFF,
    "admin:credit_rules_commitmentletter_change": ADMIN_STAFF,
    "admin:credit_rules_commitmentletter_changelist": ADMIN_STAFF,
    "admin:credit_rules_commitmentletter_history": ADMIN_STAFF,
    "admin:credit_rules_creditsubject_change": ADMIN_STAFF,
    "admin:credit_rules_creditsubject_changelist": ADMIN_STAFF,
    "admin:credit_rules_creditsubject_history": ADMIN_STAFF,
    "admin:credit_rules_decisionrecord_change": ADMIN_STAFF,
    "admin:credit_rules_decisionrecord_changelist": ADMIN_STAFF,
    "admin:credit_rules_decisionrecord_history": ADMIN_STAFF,
    "admin:credit_rules_externallistimport_changelist": ADMIN_STAFF,
    "admin:credit_rules_externallisting_changelist": ADMIN_STAFF,
    "admin:credit_rules_ledgerentry_change": ADMIN_STAFF,
    "admin:credit_rules_ledgerentry_changelist": ADMIN_STAFF,
    "admin:credit_rules_ledgerentry_history": ADMIN_STAFF,
    "admin:credit_rules_policyversion_add": ADMIN_STAFF,
    "admin:credit_rules_policyversion_change": ADMIN_STAFF,
    "admin:credit_rules_policyversion_changelist": ADMIN_STAFF,
    "admin:credit_rules_policyversion_history": ADMIN_STAFF,
    "admin:index": ADMIN_STAFF,
    "admin:jsi18n": ADMIN_STAFF,
    "admin:password_change": ADMIN_STAFF,
    "admin:password_change_done": ADMIN_STAFF,
    "admin:taggit_tag_merge_tags": ADMIN_STAFF,
}

# Wagtail's admin: moderators of notices (supervisors, operators, the credit office) hold ``access_admin`` and no
# page permission: the dashboard, their task, the choosers and their own account; the notice-authority pages
# (cms.admin_views) for supervisors in scope and the credit office.
CMS_MODERATORS = frozenset({SUPERVISOR, SUPERVISOR_OUT, OPERATOR, CREDIT_OFFICE})
CMS_MODERATOR_PAGES = {
    "cms/test404/": CMS_MODERATORS,  # Wagtail's test page of its 404 template
    "cms_notice_authority_list": frozenset({CREDIT_OFFICE, SUPERVISOR, SUPERVISOR_OUT}),
    "cms_notice_authority_withdraw": frozenset({CREDIT_OFFICE, SUPERVISOR}),
    "wagtailadmin_account": CMS_MODERATORS,
    "wagtailadmin_api:documents:listing": CMS_MODERATORS,
    "wagtailadmin_api:images:listing": CMS_MODERATORS,
    "wagtailadmin_api:pages:listing": CMS_MODERATORS,
    "wagtailadmin_choose_page": CMS_MODERATORS,
    "wagtailadmin_choose_page_anchor_link": CMS_MODERATORS,
    "wagtailadmin_choose_page_child": CMS_MODERATORS,
    "wagtailadmin_choose_page_chosen_multiple": CMS_MODERATORS,
    "wagtailadmin_choose_page_email_link": CMS_MODERATORS,
    "wagtailadmin_choose_page_external_link": CMS_MODERATORS,
    "wagtailadmin_choose_page_phone_link": CMS_MODERATORS,
    "wagtailadmin_choose_page_search": CMS_MODERATORS,
    "wagtailadmin_dismissibles": CMS_MODERATORS,
    "wagtailadmin_editing_sessions:release": CMS_MODERATORS,
    "wagtailadmin_error_test": CMS_MODERATORS,
    "wagtailadmin_home": CMS_MODERATORS,
    "wagtailadmin_pages:choose_parent": CMS_MODERATORS,
    "wagtailadmin_pages:confirm_workflow_cancellation": CMS_MODERATORS,
    # Wagtail's revision list only redirects to the page's history, and the history asks the page's permission
    # tester (can_edit or can_publish), which refuses notices to everyone (cms.models.FrozenPagePermissionTester):
    # a supervisor, in scope or not, is sent back to /cms/.
    "wagtailadmin_pages:revisions_index": CMS_MODERATORS,
    "wagtailadmin_reports:site_history": CMS_MODERATORS,
    "wagtailadmin_reports:site_history_results": CMS_MODERATORS,
    "wagtailadmin_tag_autocomplete": CMS_MODERATORS,
    "wagtailadmin_workflows:task_chooser": CMS_MODERATORS,
    "wagtailadmin_workflows:task_chooser_create": CMS_MODERATORS,
    "wagtailadmin_workflows:task_chooser_results": CMS_MODERATORS,
    "wagtailadmin_workflows:task_chosen": CMS_MODERATORS,
    "wagtaildocs_chooser:choose": CMS_MODERATORS,
    "wagtaildocs_chooser:choose_results": CMS_MODERATORS,
    "wagtaildocs_chooser:chosen_multiple": CMS_MODERATORS,
    "wagtailembeds:chooser": CMS_MODERATORS,
    "wagtailembeds:chooser_upload": CMS_MODERATORS,
    "wagtailimages_chooser:choose": CMS_MODERATORS,
    "wagtailimages_chooser:choose_results": CMS_MODERATORS,
    "wagtailimages_chooser:chosen_multiple": CMS_MODERATORS,
}

FAMILIES: tuple[Family, ...] = (
    Family(
        prefix="admin/",
        refused=NOT_STAFF | {SUPERVISOR, SUPERVISOR_OUT, OPERATOR},
        moderators=ADMIN_STAFF,
        moderator_pages=ADMIN_MODERATOR_PAGES,
        open_to={"admin:login": page(PUBLIC), "admin:logout": step(ADMIN_STAFF)},
        refusal_targets=("/admin/",),
        note="Django's admin: staff only; the credit admin asks the credit_office role for every write",
    ),
    Family(
        prefix="cms/",
        refused=NOT_STAFF,
        moderators=CMS_MODERATORS,
        moderator_pages=CMS_MODERATOR_PAGES,
        open_to={
            "wagtailadmin_login": page(PUBLIC),
            "wagtailadmin_logout": step(CMS_MODERATORS),
            "wagtailadmin_password_reset": page(PUBLIC),
            "wagtailadmin_password_reset_done": read(PUBLIC),
            "wagtailadmin_password_reset_confirm": page(PUBLIC),
            "wagtailadmin_password_reset_complete": read(PUBLIC),
            "wagtailadmin_javascript_catalog": read(PUBLIC),
            "wagtailadmin_sprite": page(PUBLIC),
        },
        refusal_targets=("/cms/",),  # Wagtail's refusal: back to the dashboard with a message
        known_errors={
            "wagtailadmin_error_test": "Wagtail's deliberate error page (/cms/failwhale/), for admins only",
            "wagtailadmin_choose_page_external_link": "Wagtail's chooser fails on an empty POST (admins only)",
        },
        note="Wagtail's admin (cms/wagtail_hooks.py, cms.models: frozen notices, scoped moderation)",
    ),
)
