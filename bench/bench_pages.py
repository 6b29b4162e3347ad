"""Benchmark: every page at scale 1 and at scale N, in-process and under gunicorn + wrk against a bare view.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/zjcs .venv/bin/python bench/bench_pages.py [--quick]``

Needs PostgreSQL, Redis on 127.0.0.1:6379 (the production cache) and ``wrk`` (Debian: ``apt-get install -y
wrk``). For each of the two scales it creates its own database (``zjcs_bench_pages_1`` and
``zjcs_bench_pages_<N>`` on the server DATABASE_URL points at, dropped first), migrates it and seeds it with
``seed_demo --scale`` (``seed``: the one place that calls it; scale 1667 is about 100,000 agencies, with the
year of projects, sign-ups, ledger entries and notices seed_demo adds at that scale). Then:

  * in-process (Django's test client on the production settings, DEBUG off, a local-memory cache cleared
    before each request): every GET-able page of the URL conf outside the admin sites, its kwargs filled
    from the seeded data, signed in as the role the page is for — median time and query count of an
    uncached request, and the median of a warm one (the cache left filled), over ``--passes`` passes in which
    the two scales take turns (a child process per pass and scale), so the load of other jobs falls on both;
  * under gunicorn (2 workers, production settings, the Redis cache) with wrk (16 connections): requests per
    second of a bare Django view (``/bench/bare/``) and, as a ratio to it measured in the same round, a
    cached public page (the notice list), an uncached public page (the agency directory), searches with
    varying terms (a wrk Lua script picking a term per request) and one page per signed-in role (the
    session cookie sent with each request); p99 latency from wrk's distribution.

It prints one table per kind of measurement, the ratio scale N ÷ scale 1 per page, and each goal of
issue 13 with "met" or "NOT met": in-process N÷1 ≤ 1.5 with equal query counts; uncached public and
signed-in pages ≥ 0.1 of the bare view; cached public ≥ 0.6; searches p99 < 200 ms at 16 connections.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from benchlib import (
    ROOT,
    cache_prefix_drop,
    database_exists,
    database_url,
    drop_database,
    fail,
    gunicorn_start,
    http_status,
    process_group_stop,
    redis_answers,
    seed,
    site_env,
    static_collect,
)

sys.path.insert(0, str(ROOT))

WHY = "production runs on it, and query plans at scale differ on SQLite"
FULL_SCALE = 1667  # seed_demo's 60 agencies a scale: 100,020 agencies
QUICK_SCALE = 20
REDIS = "redis://127.0.0.1:6379/0"
GOAL_INPROCESS = 1.5
GOAL_UNCACHED = 0.1
GOAL_CACHED = 0.6
GOAL_SEARCH_P99_MS = 200.0

# Patterns that are not pages: the framework's back offices, downloads of stored files (their cost is the
# file), redirects and POST-only endpoints of the site itself, the demo clock (404 outside demo mode).
SKIP_PREFIXES = ("admin/", "cms/", "documents/")
SKIP_NAMES = {
    "bench-bare": "the baseline under load, not a page",
    "healthz": "the load balancer's probe",
    "language-switch": "a redirect back",
    "logout": "POST only",
    "demo-clock": "demo mode only",
    "agency-file": "a download",
    "supervisor-file": "a download",
    "buyer-engagement-file": "a download",
    "buyer-proposal-file": "a download",
    "complaint-file": "a download",
    "wagtailcore_login": "Wagtail's login for private pages (none here)",
    "wagtailcore_authenticate_with_password": "no private pages here",
    "wagtaildocs_authenticate_with_password": "no private documents here",
}
# The signed-in pages without kwargs belong to the role their URL starts with; the workspace to every role.
ROLE_PREFIXES = {
    "agency/": "agency_demo",
    "buyer/": "buyer_demo",
    "supervisor/": "supervisor_demo",
    "operator/": "operator_demo",
}
PUBLIC_NAMES = {"agency-register", "login"}  # under a role's prefix, but for a visitor who is not signed in
WORKSPACE_ROLES = ("agency_demo", "buyer_demo", "supervisor_demo", "operator_demo")
# Under load: the signed-in page of each role, the public pages, the searches.
ROLE_PAGES = {
    "agency_demo": "/agency/projects/",
    "buyer_demo": "/buyer/projects/",
    "supervisor_demo": "/supervisor/",
    "operator_demo": "/operator/",
}
CACHED_PUBLIC = "/notices/"
UNCACHED_PUBLIC = "/agencies/"
SEARCHES = {"agency search": "/agencies/?q=", "project search": "/projects/?q="}
SEARCH_TERMS = 200


# --- in-process: run in a child process on the bench database (``--phase pages``) ----------------------------


@dataclass
class Page:
    """One page to measure: a label (URL name, and the role when several roles see it), its path, who asks."""

    label: str
    path: str
    username: str  # "" for an anonymous visitor
    status: int = 0
    times: list[float] = field(default_factory=list)  # ms, uncached
    warm: list[float] = field(default_factory=list)  # ms, the cache left filled
    counts: list[int] = field(default_factory=list)  # queries, uncached
    note: str = ""


def _staff_user(model, **filters):
    link = model.objects.filter(**filters).select_related("user").order_by("-is_admin", "pk").first()
    return link.user.get_username() if link else None


def _agency_user(agency_id: int) -> str | None:
    from marketplace.models import AgencyStaff

    return _staff_user(AgencyStaff, agency_id=agency_id)


def _buyer_user(unit_id: int) -> str | None:
    from marketplace.models import BuyerStaff

    return _staff_user(BuyerStaff, unit_id=unit_id)


def _candidates(name: str, route: str):
    """(kwargs, username) pairs to try for the pattern ``name`` until one answers 200; the demo's own first."""
    from cms.models import NoticePage
    from credit_rules.models import LedgerEntry
    from marketplace.models import Agency, BuyerUnit
    from workflows.models import (
        Challenge,
        CreditCase,
        Engagement,
        Membership,
        Objection,
        Project,
        RepairRequest,
        ServiceComplaint,
    )

    def first(queryset, count: int = 6):
        return list(queryset.order_by("pk")[:count])

    demo_agencies = Agency.objects.filter(staff__user__username__startswith="agency_")
    buyer_demo = BuyerUnit.objects.filter(staff__user__username="buyer_demo")
    agency_owned = {
        "agency-case-respond": CreditCase,
        "agency-engagement": Engagement,
        "agency-challenge": Challenge,
        "agency-service-complaint": ServiceComplaint,
    }
    supervised = {
        "supervisor-application": Membership.objects.filter(state="submitted"),
        "supervisor-case": CreditCase.objects.all(),
        "supervisor-objection": Objection.objects.all(),
        "supervisor-repair": RepairRequest.objects.all(),
        "supervisor-challenge": Challenge.objects.all(),
        "supervisor-service-complaint": ServiceComplaint.objects.all(),
        "supervisor-event": LedgerEntry.objects.filter(subject__agency__isnull=False, kind="event"),
    }
    if name in agency_owned:
        model = agency_owned[name]
        objects = first(model.objects.filter(agency__in=demo_agencies)) or first(model.objects.all())
        return [({"pk": o.pk}, _agency_user(o.agency_id)) for o in objects]
    if name in supervised:
        objects = first(supervised[name])
        if name == "supervisor-application":  # none awaiting review: a decided application is shown too
            objects += first(Membership.objects.all(), 2)
        return [({"pk": o.pk}, "supervisor_demo") for o in objects]
    if name in ("agency-objection-new", "agency-repair-new"):
        entries = LedgerEntry.objects.filter(subject__agency__in=demo_agencies, kind="event", points__lt=0)
        return [({"entry_id": e.pk}, _agency_user(e.subject.agency_id)) for e in first(entries, 10)]
    if name == "agency-project":
        return [({"code": p.code}, "agency_demo") for p in first(Project.objects.filter(state="open"))]
    if name == "agency-challenge-new":
        projects = first(Project.objects.filter(state="awarded", signups__isnull=False).distinct())
        return [({"code": p.code}, _agency_user(p.signups.order_by("pk").first().agency_id)) for p in projects]
    if name == "buyer-project-edit":
        projects = first(Project.objects.filter(buyer__in=buyer_demo, state__in=["draft", "returned"]))
        return [({"code": p.code}, "buyer_demo") for p in projects]
    if name in ("buyer-project-cancel", "buyer-project-discard"):
        states = ["open"] if name == "buyer-project-cancel" else ["draft", "returned", "pending_review"]
        projects = first(Project.objects.filter(buyer__in=buyer_demo, state__in=states))
        return [({"code": p.code}, "buyer_demo") for p in projects]
    if name in ("buyer-project", "buyer-challenges") or (name.startswith("buyer-") and "<str:code>" in route):
        # The project pages of the buyer, and its steps (POST only: they answer 405, reported as such).
        projects = first(Project.objects.filter(buyer__in=buyer_demo, state="awarded")) + first(
            Project.objects.filter(buyer__in=buyer_demo)
        )
        return [({"code": p.code}, "buyer_demo") for p in projects]
    if name == "buyer-challenge":
        return [({"pk": c.pk}, _buyer_user(c.project.buyer_id)) for c in first(Challenge.objects.all())]
    if name == "operator-project":
        projects = first(Project.objects.filter(state="pending_review")) + first(Project.objects.all(), 2)
        return [({"code": p.code}, "operator_demo") for p in projects]
    if name == "supervisor-renew":
        return [({"pk": m.pk}, "supervisor_demo") for m in first(Membership.objects.filter(state="active"), 1)]
    if name == "supervisor-event-withdraw":
        return [({"pk": e.pk}, "supervisor_demo") for e in first(supervised["supervisor-event"], 1)]
    if name in ("draw-proof", "draw-proof-json"):
        projects = first(Project.objects.filter(method="draw").exclude(state__in=["draft", "open", "pending_review"]))
        return [({"code": p.code}, "") for p in projects]
    if name == "project-public":
        return [({"code": p.code}, "") for p in first(Project.objects.filter(state="open"))]
    if name == "service-complaint-new":
        return [({"uscc": a.uscc}, "buyer_demo") for a in first(demo_agencies.distinct())]
    if name == "agency-profile":
        return [({"uscc": a.uscc}, "") for a in first(Agency.objects.filter(staff__user__username="agency_demo"))]
    if name == "buyer-record":
        return [({"uscc": u.uscc}, "") for u in first(buyer_demo)]
    if name.startswith(("notice-list-kind", "notice-feed-kind")):
        return [({"kind": "result"}, "")]
    if name == "wagtail_serve":
        notice = NoticePage.objects.live().filter(withdrawn=False).order_by("pk").first()
        return [({"path": p}, "") for p in ["/"] + ([notice.get_url()] if notice else [])]
    return []


def _patterns() -> list[tuple[str, str, list[str]]]:
    """(name, route, kwarg names) of every pattern of the URL conf, depth first, outside the skipped families."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(resolver, prefix: str, kwargs: list[str]) -> None:
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            names = kwargs + list(entry.pattern.regex.groupindex)
            if route.startswith(SKIP_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                walk(entry, route, names)
            elif isinstance(entry, URLPattern):
                found.append((entry.name or route, route, names))

    walk(get_resolver(), "", [])
    return found


def pages_enumerate() -> tuple[list[Page], list[str]]:
    """Every page to measure, and what was left out and why."""
    from django.urls import reverse

    pages: list[Page] = []
    skipped: list[str] = []
    for name, route, kwarg_names in _patterns():
        if name in SKIP_NAMES:
            skipped.append(f"{name}: {SKIP_NAMES[name]}")
            continue
        if not kwarg_names and name != "wagtail_serve":  # Wagtail's catch-all has an unnamed group
            path = reverse(name)
            role = next((user for prefix, user in ROLE_PREFIXES.items() if route.startswith(prefix)), "")
            if name in PUBLIC_NAMES:
                role = ""
            if route.startswith("me/"):
                pages += [Page(f"{name} ({user})", path, user) for user in WORKSPACE_ROLES]
            else:
                pages.append(Page(name, path, role))
            continue
        tries = _candidates(name, route)
        if not tries:
            skipped.append(f"{name}: nothing of the kind in the seeded data")
            continue
        # Every candidate is kept; the measurement keeps the first that answers 200.
        for kwargs, username in tries:
            if name == "wagtail_serve":
                path = kwargs["path"]
                pages.append(Page(f"wagtail_serve {'home' if path == '/' else 'notice'}", path, ""))
            else:
                pages.append(Page(name, reverse(name, kwargs=kwargs), username or ""))
    return pages, skipped


def _requests(client, path: str, repeat: int, *, clear: bool) -> tuple[int, list[float], list[int]]:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, counts, status = [], [], 0
    for _ in range(repeat):
        if clear:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
        counts.append(len(queries))
    return status, times, counts


def phase_pages(out: Path, repeat: int) -> None:
    """Measure every page in-process, make one session per role for wrk, pick search terms; write JSON to ``out``."""
    import logging
    import random

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    # Not a line per 404 or 405 of the candidates tried (propagated records pass the root logger's level).
    logging.getLogger("django.request").setLevel(logging.ERROR)
    from django.test.utils import override_settings

    from marketplace.models import Agency
    from workflows.models import Project

    # A cache of this process only, cleared before each uncached request (Redis is shared with others).
    override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bench-pages"}}
    ).enable()
    User = get_user_model()
    users = {}
    candidates, skipped = pages_enumerate()
    measured: dict[str, Page] = {}
    for page in candidates:
        if page.label in measured and measured[page.label].status in (200, 405):
            continue  # an earlier candidate of this pattern answered (or the pattern takes POST only)
        client = Client(HTTP_HOST="127.0.0.1")
        if page.username:
            users.setdefault(page.username, User.objects.get(username=page.username))
            client.force_login(users[page.username])
        # The first request of a page loads its code and templates; it also says whether the page answers.
        page.status = client.get(page.path).status_code
        if page.status == 200:
            page.status, page.times, page.counts = _requests(client, page.path, repeat, clear=True)
            page.warm = _requests(client, page.path, repeat, clear=False)[1]
        elif page.status == 405:
            page.note = "POST only"
        measured[page.label] = page
    sessions = {}
    for username in ROLE_PAGES:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(username=username))
        sessions[username] = client.cookies["sessionid"].value
    # Search terms a visitor types: two or three characters from real names, some that match nothing.
    rng = random.Random(2026)
    names = list(Agency.objects.order_by("?").values_list("name", flat=True)[:SEARCH_TERMS])
    names += list(Project.objects.order_by("?").values_list("name", flat=True)[:SEARCH_TERMS])
    terms = []
    for name in names:
        start = rng.randrange(max(1, len(name) - 3))
        terms.append(name[start : start + rng.choice((2, 3))])
    terms += ["无此机构", "ZZZ", "9144"]
    result = {
        "pages": [asdict(p) for p in measured.values()],
        "skipped": skipped,
        "sessions": sessions,
        "terms": terms,
        "agencies": Agency.objects.count(),
        "projects": Project.objects.count(),
    }
    out.write_text(json.dumps(result, ensure_ascii=False))


def pages_merge(before: dict | None, now: dict) -> dict:
    """The samples of an earlier pass and of this one together (the sessions and terms of this one)."""
    if before is None:
        return now
    earlier = {p["label"]: p for p in before["pages"]}
    for page in now["pages"]:
        if page["label"] in earlier and page["status"] == earlier[page["label"]]["status"]:
            for key in ("times", "warm", "counts"):
                page[key] = earlier[page["label"]][key] + page[key]
    return now


def measure_in_process(env: dict[str, str], repeat: int) -> dict:
    """Run ``--phase pages`` in a child process on ``env`` and return what it measured."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        run = subprocess.run(
            [sys.executable, __file__, "--phase", "pages", "--out", out.name, "--repeat", str(repeat)],
            cwd=ROOT,
            env=env,
        )
        if run.returncode:
            fail("the in-process measurement failed (see above)")
        return json.loads(Path(out.name).read_text())


# --- under load: gunicorn + wrk -----------------------------------------------------------------------------

LUA_SEARCH = """-- One search term per request, picked at random (written by bench_pages.py).
local terms = {%s}
local prefix = "%s"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", prefix .. terms[math.random(#terms)])
end
"""


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, *, seconds: int, connections: int, threads: int, cookie: str = "", script: str = "") -> dict:
    """Requests per second and latency percentiles wrk measured at ``url``; fails on errors or non-2xx answers."""
    extra = (["-H", f"Cookie: {cookie}"] if cookie else []) + (["-s", script] if script else [])
    run = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = run.stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        fail(f"wrk saw errors at {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)\s*$", out, re.MULTILINE))
    if not rps or "99" not in latency:
        fail(f"cannot read wrk's output:\n{out}")
    return {"rps": float(rps.group(1)), **{f"p{k}": _seconds(v) * 1000 for k, v in latency.items()}}


def measure_under_load(env: dict[str, str], inproc: dict, args) -> dict:
    """Start gunicorn on ``env``; wrk each target in interleaved rounds; medians of ratios to the bare view."""
    scripts = tempfile.mkdtemp(prefix="zjcs-bench-lua-")
    server, base = gunicorn_start(env, workers=args.workers)
    try:
        targets: dict[str, tuple[str, str, str]] = {  # name: (path, cookie, Lua script)
            "bare view": ("/bench/bare/", "", ""),
            f"cached public {CACHED_PUBLIC}": (CACHED_PUBLIC, "", ""),
            f"uncached public {UNCACHED_PUBLIC}": (UNCACHED_PUBLIC, "", ""),
        }
        terms = ", ".join(f'"{quote(t)}"' for t in inproc["terms"])
        for label, prefix in SEARCHES.items():
            script = Path(scripts) / f"{label.replace(' ', '-')}.lua"
            script.write_text(LUA_SEARCH % (terms, prefix))
            targets[f"{label} {prefix}…"] = (prefix + quote(inproc["terms"][0]), "", str(script))
        for username, path in ROLE_PAGES.items():
            targets[f"{username} {path}"] = (path, f"sessionid={inproc['sessions'][username]}", "")
        for name, (path, cookie, _script) in targets.items():  # each answers 200 itself, not a redirect to log in
            status = http_status(base + path, cookie)[0]
            if status != 200:
                fail(f"{name}: {path} answered {status} under gunicorn")
        for path, cookie, script in targets.values():  # warm every worker (imports, connections, caches)
            wrk(
                base + path, seconds=2, connections=args.connections, threads=args.threads, cookie=cookie, script=script
            )
        runs: dict[str, list[dict]] = {name: [] for name in targets}
        for round_no in range(1, args.rounds + 1):
            for name, (path, cookie, script) in targets.items():
                measured = wrk(
                    base + path,
                    seconds=args.seconds,
                    connections=args.connections,
                    threads=args.threads,
                    cookie=cookie,
                    script=script,
                )
                runs[name].append(measured)
                print(
                    f"    round {round_no}: {name:<40} {measured['rps']:8.1f} req/s  p99 {measured['p99']:7.1f} ms",
                    flush=True,
                )
    finally:
        process_group_stop(server)
        shutil.rmtree(scripts, ignore_errors=True)
    bare = runs["bare view"]
    result = {}
    for name, measured in runs.items():
        result[name] = {
            "rps": max(m["rps"] for m in measured),
            "ratio": statistics.median(m["rps"] / b["rps"] for m, b in zip(measured, bare, strict=True)),
            "p50": statistics.median(m["p50"] for m in measured),
            "p99": max(m["p99"] for m in measured),
        }
    return result


# --- the report ---------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(scales: list[int], inproc: dict[int, dict], load: dict[int, dict], args) -> None:
    """Print the in-process table with N÷1, the load table per scale, and the goals."""
    low, high = scales
    print()
    for scale in scales:
        print(f"scale {scale}: {inproc[scale]['agencies']:,} agencies, {inproc[scale]['projects']:,} projects")
    print()
    print(
        f"In-process (median of {args.passes} × {args.repeat} requests, the scales taking turns; uncached = "
        "a local cache cleared before each request; ms, queries; warm = the cache left filled)"
    )
    head = f"{'page':<44} {'role':<26} {'ms@1':>7} {'q@1':>4} {'ms@N':>7} {'q@N':>4} {'N÷1':>5} {'warm@N':>7}  goal"
    print(head)
    print("-" * len(head))
    pages_low = {p["label"]: p for p in inproc[low]["pages"]}
    pages_high = {p["label"]: p for p in inproc[high]["pages"]}
    missed, compared = [], 0
    for label in list(pages_low) + [label for label in pages_high if label not in pages_low]:
        a, b = pages_low.get(label), pages_high.get(label)
        role = (a or b)["username"] or "anonymous"
        if not a or not b or a["status"] != 200 or b["status"] != 200:
            statuses = f"{a['status'] if a else '-'} / {b['status'] if b else '-'}"
            note = (a or b)["note"] or "not measured"
            print(f"{label:<44} {role:<26} {'answered ' + statuses + ' — ' + note}")
            continue
        compared += 1
        ms_a, ms_b = statistics.median(a["times"]), statistics.median(b["times"])
        q_a, q_b = statistics.median_low(a["counts"]), statistics.median_low(b["counts"])
        ratio = ms_b / ms_a if ms_a else float("inf")
        ok = ratio <= GOAL_INPROCESS and q_a == q_b
        if not ok:
            missed.append(label)
        varying = " (queries vary)" if len(set(a["counts"])) > 1 or len(set(b["counts"])) > 1 else ""
        print(
            f"{label:<44} {role:<26} {ms_a:7.1f} {q_a:4d} {ms_b:7.1f} {q_b:4d} "
            f"{ratio:5.2f} {statistics.median(b['warm']):7.1f}  {verdict(ok)}{varying}"
        )
    skipped = sorted(set(inproc[low]["skipped"]) | set(inproc[high]["skipped"]))
    print(f"left out: {'; '.join(skipped)}")
    print(
        f"goal — every page N÷1 ≤ {GOAL_INPROCESS} with equal queries: "
        f"{compared - len(missed)} of {compared} pages {verdict(not missed)}"
        + (f" (not: {', '.join(missed)})" if missed else "")
    )
    for scale in scales:
        if scale not in load:
            continue
        print()
        print(
            f"Under load, scale {scale} (gunicorn {args.workers} workers, wrk {args.connections} connections, "
            f"{args.rounds} rounds of {args.seconds}s; ratio = median over rounds of req/s ÷ the bare view's)"
        )
        head = f"{'target':<44} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}  goal"
        print(head)
        print("-" * len(head))
        for name, m in load[scale].items():
            goal = ""
            if name.startswith("cached public"):
                goal = f"≥ {GOAL_CACHED}: {verdict(m['ratio'] >= GOAL_CACHED)}"
            elif name.startswith(("uncached public", *ROLE_PAGES)):
                goal = f"≥ {GOAL_UNCACHED}: {verdict(m['ratio'] >= GOAL_UNCACHED)}"
            elif name.split(" /")[0] in SEARCHES:
                goal = f"p99 < {GOAL_SEARCH_P99_MS:.0f} ms: {verdict(m['p99'] < GOAL_SEARCH_P99_MS)}"
            print(f"{name:<44} {m['rps']:8.1f} {m['ratio']:6.3f} {m['p50']:7.1f} {m['p99']:7.1f}  {goal}")
    if low in load and high in load:
        print()
        print("Throughput scale N ÷ scale 1 (best req/s):")
        for name, m in load[high].items():
            base = load[low][name]["rps"]
            print(f"  {name:<44} {m['rps'] / base if base else float('inf'):5.2f}")


def main() -> None:
    """Seed both scales (or reuse them), measure in-process and under load, print the tables and goals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, help=f"scale N (default {FULL_SCALE}: about 100,000 agencies)")
    parser.add_argument("--quick", action="store_true", help=f"scale {QUICK_SCALE}, short runs: a try, not a figure")
    parser.add_argument("--database", default=os.environ.get("BENCH_DATABASE", "zjcs_bench_pages"))
    parser.add_argument("--keep", action="store_true", help="keep both databases afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the databases --keep left (seeding only a missing one); keeps them"
    )
    parser.add_argument("--repeat", type=int, help="in-process requests per page and pass (default 5, quick 3)")
    parser.add_argument("--passes", type=int, default=2, help="in-process passes, the scales taking turns")
    parser.add_argument("--seconds", type=int, help="length of each wrk run (default 10, quick 5)")
    parser.add_argument("--rounds", type=int, help="interleaved wrk runs per target (default 3, quick 1)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-load", action="store_true", help="in-process only (no gunicorn, no wrk)")
    parser.add_argument("--phase", choices=["pages"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "pages":
        phase_pages(Path(args.out), args.repeat)
        return
    args.scale = args.scale or (QUICK_SCALE if args.quick else FULL_SCALE)
    args.repeat = args.repeat or (3 if args.quick else 5)
    args.seconds = args.seconds or (5 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.scale <= 1:
        fail("--scale must be above 1: scale 1 is the baseline")
    if not args.no_load and not shutil.which("wrk"):
        fail("needs the wrk load generator: apt-get install -y wrk")
    if not redis_answers():
        fail("needs Redis on 127.0.0.1:6379 (the production cache)")

    scales = [1, args.scale]
    inproc: dict[int, dict] = {}
    load: dict[int, dict] = {}
    envs: dict[int, dict[str, str]] = {}
    static_root = tempfile.mkdtemp(prefix="zjcs-bench-static-")
    token = os.urandom(4).hex()
    try:
        for scale in scales:
            name = f"{args.database}_{scale}"
            reuse = args.reuse and database_exists(name, why=WHY)
            url = database_url(name, why=WHY, fresh=not reuse)
            envs[scale] = site_env(url, static_root=static_root, cache_prefix=f"{name}-{token}", cache_url=REDIS)
            print(f"scale {scale}: database {name}{' (reused)' if reuse else ''}", flush=True)
            if not reuse:
                seed(envs[scale], scale)
        static_collect(envs[1])
        # The scales take turns, so a change in the load from other jobs falls on both.
        for turn in range(1, args.passes + 1):
            for scale in scales:
                started = time.perf_counter()
                inproc[scale] = pages_merge(inproc.get(scale), measure_in_process(envs[scale], args.repeat))
                seconds = time.perf_counter() - started
                print(
                    f"  in-process, pass {turn}, scale {scale}: {len(inproc[scale]['pages'])} pages in {seconds:.0f}s"
                )
        for scale in scales if not args.no_load else []:
            print(f"under load, scale {scale}:", flush=True)
            load[scale] = measure_under_load(envs[scale], inproc[scale], args)
        if not args.keep and not args.reuse:
            for env in envs.values():
                drop_database(env["DATABASE_URL"])
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        for env in envs.values():
            cache_prefix_drop(REDIS, env["ZJCS_BENCH_CACHE_PREFIX"])
    report(scales, inproc, load, args)


if __name__ == "__main__":
    main()
