"""Public credit pages: directory, profile, black list, red list — content, privacy, query budgets."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import LedgerEntry, MeasureKind, Source
from credit_rules.policy import policy_at
from credit_rules.selectors import EntryStatus, entry_status
from credit_rules.services import (
    dispute_mark,
    entry_neutralise,
    event_record,
    ledger_append,
    measure_record,
    subject_for_agency,
)
from credit_rules.standing import standing_compute
from marketplace.models import ServiceCategory
from tests.factories import AgencyFactory, QualificationFactory, agency_user
from tests.helpers import query_count

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


# --- entry_status: a pure function, table-driven ------------------------------------------------------


def _entry(**fields) -> LedgerEntry:
    defaults = {"kind": LedgerEntry.Kind.EVENT, "seq": 1, "effective_at": NOW - 10 * DAY, "expires_at": NOW + 700 * DAY}
    return LedgerEntry(**{**defaults, **fields})


def _follow(seq: int, kind: str, reason: str, days_ago: float = 1) -> LedgerEntry:
    return LedgerEntry(kind=kind, reason=reason, seq=seq, effective_at=NOW - datetime.timedelta(days=days_ago))


R = LedgerEntry.Reason
K = LedgerEntry.Kind
OPENED = (K.DISPUTE, R.DISPUTE_OPENED)
CLOSED = (K.DISPUTE, R.DISPUTE_CLOSED)


@pytest.mark.parametrize(
    ("entry", "followups", "expected"),
    [
        pytest.param({}, [], EntryStatus.IN_FORCE, id="plain event in force"),
        pytest.param({"expires_at": NOW - DAY}, [], EntryStatus.EXPIRED, id="aged out"),
        pytest.param({"expires_at": NOW}, [], EntryStatus.EXPIRED, id="expires exactly now"),
        pytest.param({"kind": K.MEASURE, "expires_at": None}, [], EntryStatus.IN_FORCE, id="measure until lifted"),
        pytest.param({"effective_at": NOW + DAY}, [], EntryStatus.PENDING, id="not yet effective"),
        pytest.param({}, [(2, *OPENED)], EntryStatus.DISPUTED, id="dispute opened"),
        pytest.param({}, [(2, *OPENED), (3, *CLOSED)], EntryStatus.IN_FORCE, id="dispute closed, record upheld"),
        pytest.param({}, [(3, *CLOSED), (2, *OPENED)], EntryStatus.IN_FORCE, id="order by seq, not by list"),
        pytest.param({}, [(2, *OPENED), (3, *CLOSED), (4, *OPENED)], EntryStatus.DISPUTED, id="disputed again"),
        pytest.param(
            {}, [(2, *OPENED), (3, K.NEUTRALISE, R.OVERTURNED)], EntryStatus.OVERTURNED, id="objection upheld"
        ),
        pytest.param({}, [(2, K.NEUTRALISE, R.REPAIRED)], EntryStatus.REPAIRED, id="repaired"),
        pytest.param({"kind": K.MEASURE}, [(2, K.NEUTRALISE, R.LIFTED)], EntryStatus.LIFTED, id="measure lifted"),
        pytest.param(
            {"expires_at": NOW - DAY}, [(2, K.NEUTRALISE, R.REPAIRED)], EntryStatus.REPAIRED, id="repair beats expiry"
        ),
        pytest.param({"expires_at": NOW - DAY}, [(2, *OPENED)], EntryStatus.DISPUTED, id="dispute beats expiry"),
    ],
)
def test_entry_status_from_followups(entry, followups, expected):
    # given an entry and the entries that refer to it
    rows = [_follow(seq, kind, reason) for seq, kind, reason in followups]
    # when / then
    assert entry_status(_entry(**entry), rows, at=NOW) is expected


def test_entry_status_ignores_followups_not_yet_effective():
    later = LedgerEntry(kind=K.NEUTRALISE, reason=R.REPAIRED, seq=2, effective_at=NOW + DAY)
    assert entry_status(_entry(), [later], at=NOW) is EntryStatus.IN_FORCE
    assert entry_status(_entry(), [later], at=NOW + 2 * DAY) is EntryStatus.REPAIRED


@pytest.mark.parametrize(
    ("status", "withdrawn"),
    [(EntryStatus.REPAIRED, True), (EntryStatus.OVERTURNED, True), (EntryStatus.LIFTED, False)]
    + [(s, False) for s in (EntryStatus.IN_FORCE, EntryStatus.DISPUTED, EntryStatus.EXPIRED, EntryStatus.PENDING)],
)
def test_only_repaired_and_overturned_records_are_withdrawn(status, withdrawn):
    assert status.withdrawn is withdrawn


# --- helpers -----------------------------------------------------------------------------------------


def _events(agency, *codes: str, days_ago: int = 5):
    subject = subject_for_agency(agency)
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return [
        event_record(subject=subject, code=code, source=Source.RULE, evidence={"summary": f"{code} 事实摘要"}, at=at)
        for code in codes
    ]


def _measure(agency, kind: str, *, rule_code: str = "CR-ESC-003", ends_in_days: int | None = 365, summary: str = ""):
    now = timezone.now()
    return measure_record(
        subject=subject_for_agency(agency),
        kind=kind,
        starts_at=now - DAY,
        ends_at=now + datetime.timedelta(days=ends_in_days) if ends_in_days else None,
        rule_code=rule_code,
        basis="",
        evidence={"summary": summary} if summary else None,
    )


def _names(response) -> list[str]:
    return [row.name for row in response.context["page_obj"].object_list]


def _records_table(response) -> str:
    """The HTML of the profile's table of public records still counting."""
    return response.content.decode().split('id="active-records"')[1].split("</table>")[0]


# --- directory ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_directory_search_and_filters(client):
    # given three agencies in different categories and standings
    survey = ServiceCategory.objects.get(code="SUR-ENG")
    appraiser = AgencyFactory(name="惠州1甲估价有限公司")
    surveyor = AgencyFactory(name="惠州3乙测绘有限公司", categories=[survey])
    fresh = AgencyFactory(name="惠州2丙咨询有限公司")  # no credit record at all
    _events(surveyor, "DECLINE_WIN", "DECLINE_WIN", "DECLINE_WIN")  # 70 → C
    _measure(surveyor, MeasureKind.SUSPEND, rule_code="CR-ESC-001", ends_in_days=30)
    _events(appraiser, "RATING_EXCELLENT")
    url = reverse("agency-directory")

    # when / then: no filter lists all, by name
    assert _names(client.get(url)) == [appraiser.name, fresh.name, surveyor.name]
    # by part of the name, and by USCC typed in lower case
    assert _names(client.get(url, {"q": "乙测绘"})) == [surveyor.name]
    assert _names(client.get(url, {"q": appraiser.uscc.lower()})) == [appraiser.name]
    # by grade; an agency without a record has the base grade A
    assert _names(client.get(url, {"grade": "C"})) == [surveyor.name]
    assert _names(client.get(url, {"grade": "A"})) == [appraiser.name, fresh.name]
    # by measure
    assert _names(client.get(url, {"measure": "suspend"})) == [surveyor.name]
    assert _names(client.get(url, {"measure": "reward"})) == []
    # by leaf and by top-level category
    assert _names(client.get(url, {"category": "SUR-ENG"})) == [surveyor.name]
    assert _names(client.get(url, {"category": "SUR"})) == [surveyor.name]
    assert _names(client.get(url, {"category": "VAL"})) == [appraiser.name, fresh.name]
    # combined
    assert _names(client.get(url, {"category": "VAL", "grade": "A", "q": "丙"})) == [fresh.name]
    # one or two characters: any part of a name (on PostgreSQL from the index of characters and pairs),
    # latin letters in either case; never a USCC on so little
    assert _names(client.get(url, {"q": "测绘"})) == [surveyor.name]
    assert _names(client.get(url, {"q": "估"})) == [appraiser.name]
    assert _names(client.get(url, {"q": "有限"})) == [appraiser.name, fresh.name, surveyor.name]
    assert _names(client.get(url, {"q": "1甲"})) == [appraiser.name]
    assert _names(client.get(url, {"q": "价测"})) == []  # both characters, not side by side
    assert _names(client.get(url, {"q": appraiser.uscc[-2:]})) == []

    # the row shows grade, score and measure badges
    body = client.get(url, {"q": "乙测绘"}).content.decode()
    assert 'class="badge grade-C"' in body
    assert "70" in body
    assert "measure-suspend" in body
    assert "测绘与勘察" in client.get(url).content.decode()  # the category picker


@pytest.mark.django_db
def test_directory_reports_a_bad_filter_and_ignores_it(client):
    AgencyFactory(name="惠州丁评估有限公司")
    response = client.get(reverse("agency-directory"), {"grade": "Z", "q": "丁评估"})
    assert response.status_code == 200
    assert response.context["form"].errors["grade"]
    assert 'class="errorlist"' in response.content.decode()
    assert _names(response) == ["惠州丁评估有限公司"]  # the valid search still applies


@pytest.mark.django_db
def test_directory_cached_standing_equals_the_ledger(client):
    # given an agency after a sequence of events, measures, a repair and a dispute
    agency = AgencyFactory(name="惠州戊造价咨询有限公司")
    subject = subject_for_agency(agency)
    poor, warning, _late = _events(agency, "RATING_POOR", "CREDIT_WARNING", "DELIVERY_LATE", days_ago=100)
    _events(agency, "DECLINE_WIN", "QUALITY_COMPLAINT", days_ago=20)
    restrict = _measure(agency, MeasureKind.RESTRICT, rule_code="CR-ESC-004", ends_in_days=None)
    _measure(agency, MeasureKind.SUSPEND, rule_code="CR-ESC-001", ends_in_days=20)
    entry_neutralise(entry=poor, reason=LedgerEntry.Reason.REPAIRED)
    entry_neutralise(entry=restrict, reason=LedgerEntry.Reason.LIFTED)
    dispute_mark(entry=warning, opened=True)

    # when the directory and the definition are read
    response = client.get(reverse("agency-directory"), {"q": agency.uscc})
    row = response.context["page_obj"].object_list[0]
    standing = standing_compute(subject)

    # then the cached copy shown equals the ledger's standing
    assert (row.credit_score, row.credit_grade) == (standing.score, standing.grade) == (75, "B")
    assert row.credit_suspend is standing.has(MeasureKind.SUSPEND) is True
    assert row.credit_restrict is standing.has(MeasureKind.RESTRICT) is False
    assert row.credit_reward is row.credit_expel is False
    body = response.content.decode()
    assert '<span class="num" data-score>75</span>' in body
    profile = client.get(reverse("agency-profile", args=[agency.uscc]))
    assert profile.context["standing"].score == standing.score
    assert "<strong data-score>75</strong>" in profile.content.decode()


# --- profile -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_profile_shows_grade_measures_and_public_events_with_basis(client):
    # given an agency with a valid and an expired licence, events, a measure and a private entry
    agency = AgencyFactory(name="惠州己评估有限公司", address="惠州市惠城区江北文明一路 8 号")
    QualificationFactory(agency=agency, certificate_no="粤房估甲-000111")
    QualificationFactory(
        agency=agency, certificate_no="粤房估乙-000222", valid_until=datetime.date.today() - datetime.timedelta(days=1)
    )
    _events(agency, "CONTRACT_LATE", "DECLINE_WIN")
    _measure(agency, MeasureKind.SUSPEND, rule_code="CR-ESC-001", ends_in_days=30, summary="两次警告")
    ledger_append(
        subject=subject_for_agency(agency),
        kind=LedgerEntry.Kind.EVENT,
        code="INTERNAL_NOTE",
        title="内部核查记录不公开",
        source=Source.SUPERVISOR,
        public=False,
    )

    # when the public opens the profile
    response = client.get(reverse("agency-profile", args=[agency.uscc.lower()]))

    # then
    assert response.status_code == 200
    body = response.content.decode()
    standing = standing_compute(subject_for_agency(agency))
    assert standing.score == 85 and standing.grade == "B"
    assert (response.context["standing"].score, response.context["standing"].grade) == (85, "B")
    assert 'class="badge grade-B" data-grade>B</span>' in body
    assert agency.uscc in body and agency.address in body and "房地产估价" in body
    # qualifications with certificate number and validity today
    assert "粤房估甲-000111" in body and "粤房估乙-000222" in body
    assert [valid for _q, valid in response.context["qualifications"]] == [True, False]
    # the measure in force with its rule code and basis
    measures = response.context["measures"]
    assert [m.measure.kind for m in measures] == [MeasureKind.SUSPEND]
    assert "CR-ESC-001" in body and "暂停期间不得报名或中选" in body
    # public events with title, points, basis and evidence summary; the private entry stays hidden
    assert "未按时签订合同" in body and "湖府办发〔2025〕5号" in body and "CONTRACT_LATE 事实摘要" in body
    assert "-10" in body and "-5" in body
    assert "内部核查记录不公开" not in body
    titles = [row.entry.title for row in response.context["active_rows"]]
    assert titles[0] == "暂停交易资格"  # newest first
    assert set(titles) == {"暂停交易资格", "未按时签订合同", "无故放弃中选资格"}
    assert "我的信用" in body  # how to object or repair


@pytest.mark.django_db
def test_profile_of_agency_without_record_shows_base_standing(client):
    agency = AgencyFactory()
    response = client.get(reverse("agency-profile", args=[agency.uscc]))
    policy = policy_at()
    assert response.status_code == 200
    assert response.context["standing"].score == policy.base_score
    assert f'grade-{policy.grade_for(policy.base_score)}" data-grade' in response.content.decode()


@pytest.mark.django_db
def test_profile_of_unknown_uscc_is_404(client):
    assert client.get(reverse("agency-profile", args=["91441302MA4WXXXXX0"])).status_code == 404


@pytest.mark.django_db
def test_repaired_and_overturned_events_appear_only_in_the_withdrawn_section(client):
    # given three events: one repaired, one overturned, one still counting
    agency = AgencyFactory()
    repaired, overturned, counting = _events(agency, "RATING_POOR", "CONTRACT_LATE", "DELIVERY_LATE", days_ago=120)
    entry_neutralise(entry=repaired, reason=LedgerEntry.Reason.REPAIRED, note="已整改")
    dispute_mark(entry=overturned, opened=True)
    entry_neutralise(entry=overturned, reason=LedgerEntry.Reason.OVERTURNED, note="异议成立")

    # when
    response = client.get(reverse("agency-profile", args=[agency.uscc]))
    body = response.content.decode()

    # then the withdrawn records sit struck through in the collapsed section only
    assert [r.entry.pk for r in response.context["active_rows"]] == [counting.pk]
    assert {r.entry.pk: r.status for r in response.context["withdrawn_rows"]} == {
        repaired.pk: EntryStatus.REPAIRED,
        overturned.pk: EntryStatus.OVERTURNED,
    }
    active, withdrawn = body.split('<details id="withdrawn-records">')
    assert "逾期提交服务成果" in active
    assert "服务评价差" not in active and "未按时签订合同" not in active
    assert "服务评价差" in withdrawn and "未按时签订合同" in withdrawn
    assert withdrawn.count('<tr class="withdrawn ') == 2
    assert "已修复" in withdrawn and "已撤销" in withdrawn
    assert response.context["standing"].score == 95


@pytest.mark.django_db
def test_disputed_entry_shows_dispute_in_progress_until_closed(client):
    agency = AgencyFactory()
    (warning,) = _events(agency, "CREDIT_WARNING")
    url = reverse("agency-profile", args=[agency.uscc])
    dispute_mark(entry=warning, opened=True)

    response = client.get(url)
    assert [r.status for r in response.context["active_rows"]] == [EntryStatus.DISPUTED]
    assert "异议处理中" in _records_table(response)

    dispute_mark(entry=warning, opened=False)  # objection decided: the record stands
    response = client.get(url)
    assert [r.status for r in response.context["active_rows"]] == [EntryStatus.IN_FORCE]
    assert "异议处理中" not in _records_table(response)


@pytest.mark.django_db
def test_expired_qualification_and_event_are_marked_expired(client):
    agency = AgencyFactory()
    QualificationFactory(agency=agency, valid_until=datetime.date.today() - datetime.timedelta(days=3))
    _events(agency, "RATING_POOR", days_ago=800)  # past the 24-month window
    response = client.get(reverse("agency-profile", args=[agency.uscc]))
    body = response.content.decode()
    assert [r.status for r in response.context["active_rows"]] == [EntryStatus.EXPIRED]
    assert body.count("已过期") >= 2  # the licence and the aged-out event
    assert response.context["standing"].score == 100


# --- black list and red list -------------------------------------------------------------------------


@pytest.mark.django_db
def test_blacklist_lists_expelled_agencies_with_bar_end_rule_and_reason(client):
    # given an expelled agency, one whose expulsion was overturned, and one in good standing
    expelled = AgencyFactory(name="惠州庚虚假材料有限公司")
    _events(expelled, "FALSE_MATERIALS")
    expulsion = _measure(expelled, MeasureKind.EXPEL, rule_code="CR-ESC-003", ends_in_days=3 * 365)
    cleared = AgencyFactory(name="惠州辛已撤销有限公司")
    entry_neutralise(entry=_measure(cleared, MeasureKind.EXPEL), reason=LedgerEntry.Reason.OVERTURNED)
    AgencyFactory(name="惠州壬良好有限公司")

    # when
    response = client.get(reverse("blacklist"))
    body = response.content.decode()

    # then
    assert [row["subject"].name for row in response.context["rows"]] == [expelled.name]
    assert timezone.localtime(expulsion.expires_at).date().isoformat() in body
    assert "CR-ESC-003" in body and "虚假材料或串通清退" in body
    assert reverse("agency-profile", args=[expelled.uscc]) in body
    assert cleared.name not in body and "惠州壬良好有限公司" not in body


@pytest.mark.django_db
def test_blacklist_reason_falls_back_to_the_measure_for_unregistered_rule_codes(client):
    agency = AgencyFactory()
    _measure(agency, MeasureKind.EXPEL, rule_code="CR-OLD-901", summary="串通报价经查实")
    body = client.get(reverse("blacklist")).content.decode()
    assert "CR-OLD-901" in body and "清退并列入黑名单" in body and "串通报价经查实" in body


@pytest.mark.django_db
def test_redlist_is_made_of_reward_measures_in_force(client):
    # given agencies with a reward measure in force (one with more points), and others without
    rewarded = AgencyFactory(name="惠州甲绿色通道有限公司")
    _measure(rewarded, MeasureKind.REWARD, rule_code="CR-RWD-001", ends_in_days=365)
    rewarded_honoured = AgencyFactory(name="惠州乙表彰激励有限公司")
    _events(rewarded_honoured, "HONOUR_RED_LIST")
    _measure(rewarded_honoured, MeasureKind.REWARD, rule_code="CR-RWD-002", ends_in_days=365)
    honour_only = AgencyFactory(name="惠州丙仅表彰有限公司")  # an honour that ordered no reward
    _events(honour_only, "HONOUR_RED_LIST")
    rewarded_suspended = AgencyFactory(name="惠州戊激励暂停有限公司")
    _measure(rewarded_suspended, MeasureKind.REWARD, rule_code="CR-RWD-001", ends_in_days=365)
    _measure(rewarded_suspended, MeasureKind.SUSPEND, rule_code="CR-ESC-001", ends_in_days=30)
    reward_lifted = AgencyFactory(name="惠州己激励终止有限公司")
    reward = _measure(reward_lifted, MeasureKind.REWARD, rule_code="CR-RWD-001", ends_in_days=365)
    entry_neutralise(entry=reward, reason=LedgerEntry.Reason.LIFTED, rule_code="CR-RWD-003")
    reward_over = AgencyFactory(name="惠州庚激励期满有限公司")
    measure_record(
        subject=subject_for_agency(reward_over),
        kind=MeasureKind.REWARD,
        starts_at=timezone.now() - datetime.timedelta(days=400),
        ends_at=timezone.now() - DAY,
        rule_code="CR-RWD-001",
        basis="",
    )

    # when
    response = client.get(reverse("redlist"))
    body = response.content.decode()

    # then only the rewards in force list an agency, best score first, each with its period and rule
    assert [s.name for s in response.context["page_obj"].object_list] == [rewarded_honoured.name, rewarded.name]
    assert "measure-reward" in body and "CR-RWD-001" in body and "CR-RWD-002" in body
    for absent in (honour_only, rewarded_suspended, reward_lifted, reward_over):
        assert absent.name not in body


# --- privacy -----------------------------------------------------------------------------------------


PERSONAL = ("联系人甄秘密", "13912345678", "法人邬隐私", "员工卞不公开")


@pytest.mark.django_db
def test_no_personal_data_on_any_public_page(client):
    # given agencies with distinctive personal data, staff accounts, and entries recorded by staff
    expelled = AgencyFactory(
        name="惠州隐私甲有限公司", contact_name=PERSONAL[0], contact_phone=PERSONAL[1], legal_representative=PERSONAL[2]
    )
    rewarded = AgencyFactory(
        name="惠州隐私乙有限公司", contact_name=PERSONAL[0], contact_phone=PERSONAL[1], legal_representative=PERSONAL[2]
    )
    for agency in (expelled, rewarded):
        user = agency_user(agency)
        user.first_name, user.last_name = PERSONAL[3], PERSONAL[3]
        user.save()
        QualificationFactory(agency=agency)
        event_record(subject=subject_for_agency(agency), code="RATING_EXCELLENT", source=Source.RATING, actor=user)
    _measure(expelled, MeasureKind.EXPEL)
    _measure(rewarded, MeasureKind.REWARD, rule_code="CR-ONB-006")

    # when every public page is read
    pages = [
        reverse("agency-directory"),
        reverse("agency-profile", args=[expelled.uscc]),
        reverse("agency-profile", args=[rewarded.uscc]),
        reverse("blacklist"),
        reverse("redlist"),
    ]
    with CaptureQueriesContext(connection) as ctx:
        bodies = {url: client.get(url).content.decode() for url in pages}

    # then organisations appear, persons never do
    assert expelled.name in bodies[reverse("blacklist")]
    assert rewarded.name in bodies[reverse("redlist")]
    assert expelled.name in bodies[reverse("agency-directory")] and rewarded.name in bodies[reverse("agency-directory")]
    for url, body in bodies.items():
        for secret in PERSONAL:
            assert secret not in body, f"{secret} leaked on {url}"
    # and the pages do not even load the natural persons' columns
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    for column in ("contact_name", "contact_phone", "legal_representative", "first_name", "last_name"):
        assert column not in sql


# --- language ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_public_credit_pages_render_in_english_with_the_language_cookie(client):
    agency = AgencyFactory()
    _events(agency, "CREDIT_WARNING")
    urls = [
        reverse("agency-directory"),
        reverse("agency-profile", args=[agency.uscc]),
        reverse("blacklist"),
        reverse("redlist"),
    ]
    for url in urls:
        assert '<html lang="zh-CN">' in client.get(url).content.decode()
    client.cookies["zjcs_language"] = "en"
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert '<html lang="en">' in response.content.decode()


# --- query budgets -----------------------------------------------------------------------------------

DIRECTORY_BUDGET = 7  # capped count, estimate (PostgreSQL), page ids, page, categories of the page, category tree (two)
LIST_BUDGET = 4  # capped count, page ids, page, the page's measure entries
REDLIST_BUDGET = 5  # capped count, page ids, page, rewards and honours of the page
PROFILE_BUDGET = 8  # agency, categories, qualifications, entries, follow-ups, standing (three)


def _agencies_with(n: int, record) -> None:
    for _ in range(n):
        record(AgencyFactory())


def _uncached(client, url: str, params: dict | None = None) -> int:
    """The queries of the page's render: the cache emptied first (a page from the cache costs none)."""
    cache.clear()
    return query_count(client, url, params)


@pytest.mark.django_db
def test_directory_query_count_does_not_grow_with_rows(client):
    def record(agency):
        _events(agency, "RATING_POOR")
        _measure(agency, MeasureKind.SUSPEND, ends_in_days=30)

    url = reverse("agency-directory")
    filters = {"category": "VAL", "measure": "suspend", "q": "惠州", "grade": "A"}
    deep = {"page": "3"}
    policy_at()  # the per-process policy cache is warm in a running site
    _agencies_with(4, record)
    AgencyFactory()  # an agency with no credit record is listed too
    five = [_uncached(client, url), _uncached(client, url, filters), _uncached(client, url, deep)]
    _agencies_with(195, record)
    assert [_uncached(client, url), _uncached(client, url, filters), _uncached(client, url, deep)] == five
    assert max(five) <= DIRECTORY_BUDGET
    cache.clear()
    assert client.get(url, filters).context["page_obj"].paginator.count == 199


@pytest.mark.django_db
def test_blacklist_query_count_does_not_grow_with_rows(client):
    _agencies_with(5, lambda a: _measure(a, MeasureKind.EXPEL))
    five = _uncached(client, reverse("blacklist"))
    _agencies_with(195, lambda a: _measure(a, MeasureKind.EXPEL))
    cache.clear()
    response = client.get(reverse("blacklist"))
    assert len(response.context["rows"]) == 20
    assert _uncached(client, reverse("blacklist")) == five <= LIST_BUDGET
    assert _uncached(client, reverse("blacklist"), {"page": "9"}) == five


@pytest.mark.django_db
def test_redlist_query_count_does_not_grow_with_rows(client):
    def record(agency):
        _events(agency, "HONOUR_RED_LIST")
        _measure(agency, MeasureKind.REWARD, rule_code="CR-ONB-006")

    _agencies_with(5, record)
    five = _uncached(client, reverse("redlist"))
    _agencies_with(195, record)
    assert _uncached(client, reverse("redlist")) == five <= REDLIST_BUDGET
    assert _uncached(client, reverse("redlist") + "?page=2") == five
    cache.clear()
    assert client.get(reverse("redlist") + "?page=3").context["page_obj"].paginator.count == 200


@pytest.mark.django_db
def test_profile_query_count_does_not_grow_with_ledger_entries(client):
    # given an agency with one public entry, then thirty with disputes and corrections
    agency = AgencyFactory()
    QualificationFactory(agency=agency)
    url = reverse("agency-profile", args=[agency.uscc])
    policy_at()
    _events(agency, "RATING_EXCELLENT", days_ago=60)
    one = query_count(client, url)
    more = _events(agency, *(["RATING_POOR", "CREDIT_WARNING", "DELIVERY_LATE"] * 8), days_ago=40)
    for entry in more[:6]:
        dispute_mark(entry=entry, opened=True)
    for entry in more[6:10]:
        entry_neutralise(entry=entry, reason=LedgerEntry.Reason.REPAIRED)
    _measure(agency, MeasureKind.SUSPEND, ends_in_days=30)
    _measure(agency, MeasureKind.RESTRICT, ends_in_days=None)
    _events(agency, "HONOUR_TAX_A", "RATING_EXCELLENT", "RATING_EXCELLENT", days_ago=1)
    response = client.get(url)
    assert len(response.context["active_rows"]) + len(response.context["withdrawn_rows"]) == 30

    # then
    assert query_count(client, url) == one <= PROFILE_BUDGET
