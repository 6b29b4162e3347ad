"""Identity verification (身份核验): an agency proves control of its USCC before it is listed or trades.

Unverified agencies (awaiting review or rejected) are off the public directory, its search, the profile and the
red list, cannot apply to enter or sign up, and are told why and what to do; the operator verifies or rejects
with a reason from its queue (checked on a confirmation page), the agency is told and may resubmit; the licence
is served to the agency itself and the operator only; the verifier is a setting; agencies that predate
verification are verified as "legacy" by the migration.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from credit_rules.models import MeasureKind
from credit_rules.services import measure_record, subject_for_agency
from marketplace.errors import ApplicationError
from marketplace.models import Agency
from tests.factories import AgencyFactory, admitted_agency, agency_user, buyer_user, operator_user, published_project
from tests.helpers import messages_of, page_text, pdf_file, refetch
from workflows.identity import IdentityVerifier
from workflows.models import IdentityVerification, Membership, Notification, SignUp, TransitionLog
from workflows.services import identity as identity_services
from workflows.services import membership as membership_services
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def unverified(state: str = "submitted", **kwargs) -> tuple[Agency, object]:
    """An agency registered with its licence, awaiting review (or rejected), and its clerk."""
    agency = AgencyFactory(identity=state, **kwargs)
    return agency, agency_user(agency)


def verification_of(agency: Agency) -> IdentityVerification:
    return IdentityVerification.objects.get(agency=agency)


# --- public pages ----------------------------------------------------------------------------------------


def test_an_unverified_agency_is_not_in_the_directory_nor_found_by_its_search(client):
    listed = AgencyFactory(name="惠州已核验评估有限公司")
    waiting, _u = unverified(name="惠州待核验评估有限公司")
    rejected, _u = unverified("rejected", name="惠州未通过评估有限公司")

    body = page_text(client.get(reverse("agency-directory")))
    assert listed.name in body
    assert waiting.name not in body and rejected.name not in body
    for q in (waiting.uscc, "待核验"):
        assert waiting.name not in page_text(client.get(reverse("agency-directory"), {"q": q}))


def test_an_unverified_agency_has_no_public_profile(client):
    waiting, _u = unverified()
    assert client.get(reverse("agency-profile", args=[waiting.uscc])).status_code == 404
    verification_decide(waiting, verified=True)
    assert client.get(reverse("agency-profile", args=[waiting.uscc])).status_code == 200


def test_an_unverified_agency_is_not_on_the_red_list(client):
    rewarded = AgencyFactory(name="惠州激励已核验有限公司")
    waiting, _u = unverified(name="惠州激励待核验有限公司")
    for agency in (rewarded, waiting):
        measure_record(
            subject=subject_for_agency(agency),
            kind=MeasureKind.REWARD,
            starts_at=timezone.now() - datetime.timedelta(days=1),
            ends_at=timezone.now() + datetime.timedelta(days=365),
            rule_code="CR-RWD-001",
            basis="",
        )
    body = page_text(client.get(reverse("redlist")))
    assert rewarded.name in body and waiting.name not in body


# --- entry and sign-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["submitted", "rejected"])
def test_an_unverified_agency_cannot_apply_to_enter_and_is_told_why(client, state):
    agency, user = unverified(state)
    with pytest.raises(ApplicationError, match="身份核验"):
        membership_services.membership_start(agency=agency, actor=user)
    assert not Membership.objects.filter(agency=agency).exists()

    client.force_login(user)
    page = page_text(client.get(reverse("agency-membership")))
    assert "身份核验" in page and "开始填写入驻申请" not in page
    if state == "rejected":
        assert "营业执照上的名称与登记的机构名称不一致" in page
    response = client.post(reverse("agency-membership"), {"action": "start"}, follow=True)
    assert any("身份核验" in m for m in messages_of(response))
    assert not Membership.objects.filter(agency=agency).exists()


def test_an_unverified_agency_cannot_sign_up_and_is_told_why(client):
    project = published_project("draw")
    agency, user = unverified()
    with pytest.raises(ApplicationError, match="身份核验尚未完成"):
        signup_services.signup_submit(project=project, agency=agency, actor=user, quote="60000")
    assert not SignUp.objects.filter(agency=agency).exists()

    client.force_login(user)
    page = client.get(reverse("agency-project", args=[project.code])).content.decode()
    assert 'data-testid="identity-refused"' in page and 'name="quote"' not in page


def test_a_verified_member_still_signs_up():
    project = published_project("draw")
    agency = AgencyFactory()
    admitted_agency(agency)
    user = agency.staff.get().user
    assert signup_services.signup_submit(project=project, agency=agency, actor=user, quote="60000").ok


# --- the operator's review ----------------------------------------------------------------------------------


def verification_decide(agency: Agency, *, verified: bool, reason: str = ""):
    return identity_services.identity_decide(
        verification=verification_of(agency), actor=operator_user("decider"), verified=verified, reason=reason
    )


def test_the_operator_verifies_through_the_queue_and_a_confirmation_page(client, django_capture_on_commit_callbacks):
    agency, clerk = unverified()
    operator = operator_user("op")
    client.force_login(operator)
    verification = verification_of(agency)

    queue = client.get(reverse("operator-identity-queue")).content.decode()
    assert agency.uscc in queue and reverse("operator-identity", args=[verification.pk]) in queue
    assert reverse("operator-identity", args=[verification.pk]) in client.get(reverse("dashboard")).content.decode()
    page = client.get(reverse("operator-identity", args=[verification.pk])).content.decode()
    assert agency.name in page and agency.legal_representative in page
    assert reverse("operator-identity-licence", args=[verification.pk]) in page
    assert settings.MEDIA_URL not in page

    # the first POST only shows the answers to check; nothing is decided
    check = client.post(reverse("operator-identity", args=[verification.pk]), {"step": "check", "decision": "verify"})
    assert "请核对后提交" in check.content.decode()
    assert refetch(verification).state == IdentityVerification.State.SUBMITTED
    token = check.context["confirmation"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("operator-identity", args=[verification.pk]), {"step": "confirm", "confirmation": token}
        )
    assert done.status_code == 302
    verification = refetch(verification)
    assert verification.state == IdentityVerification.State.VERIFIED and verification.reviewer == operator
    assert refetch(agency).identity_verified_at == verification.decided_at
    log = TransitionLog.objects.get(object_id=verification.pk, transition="verify")
    assert log.actor == operator and log.outcome == TransitionLog.Outcome.DONE
    assert Notification.objects.filter(recipient=clerk, kind=Notification.Kind.IDENTITY_DECIDED).count() == 1
    # now listed, and free to apply
    assert agency.name in page_text(client.get(reverse("agency-directory")))
    assert membership_services.membership_start(agency=refetch(agency), actor=clerk)


def test_a_tampered_confirmation_decides_nothing(client):
    agency, _clerk = unverified()
    client.force_login(operator_user("op"))
    verification = verification_of(agency)
    response = client.post(
        reverse("operator-identity", args=[verification.pk]), {"step": "confirm", "confirmation": "forged"}, follow=True
    )
    assert any("失效" in m for m in messages_of(response))
    assert refetch(verification).state == IdentityVerification.State.SUBMITTED


def test_rejecting_needs_a_reason_and_tells_the_agency_which_resubmits(client, django_capture_on_commit_callbacks):
    agency, clerk = unverified()
    verification = verification_of(agency)
    client.force_login(operator_user("op"))

    # without a reason: refused on the form, and by the service too
    no_reason = client.post(
        reverse("operator-identity", args=[verification.pk]), {"step": "check", "decision": "reject"}
    )
    assert "不通过核验须填写理由" in no_reason.content.decode()
    with pytest.raises(ApplicationError, match="须填写理由"):
        verification_decide(agency, verified=False, reason="  ")
    assert refetch(verification).state == IdentityVerification.State.SUBMITTED

    reason = "营业执照上的法定代表人与登记的不一致。"
    check = client.post(
        reverse("operator-identity", args=[verification.pk]), {"step": "check", "decision": "reject", "reason": reason}
    )
    assert check.status_code == 200, (check.status_code, check.get("Location"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("operator-identity", args=[verification.pk]),
            {"step": "confirm", "confirmation": check.context["confirmation"]},
        )
    verification = refetch(verification)
    assert verification.state == IdentityVerification.State.REJECTED and verification.reason == reason
    assert refetch(agency).identity_verified_at is None
    told = Notification.objects.get(recipient=clerk, kind=Notification.Kind.IDENTITY_DECIDED)
    assert told.params == {"verified": False, "reason": reason}

    # the agency sees the reason on its page and on its workspace, and uploads a new licence
    client.force_login(clerk)
    page = page_text(client.get(reverse("agency-identity")))
    assert reason in page and "重新上传营业执照" in page
    assert reason in page_text(client.get(reverse("dashboard")))
    bad = client.post(reverse("agency-identity"), {"licence": pdf_file("licence.pdf", b"not a pdf")})
    assert "文件内容与扩展名不符" in bad.content.decode()
    assert refetch(verification).state == IdentityVerification.State.REJECTED
    response = client.post(reverse("agency-identity"), {"licence": pdf_file("new-licence.pdf")})
    assert response.status_code == 302
    verification = refetch(verification)
    assert verification.state == IdentityVerification.State.SUBMITTED
    assert verification.licence.name.endswith("new-licence.pdf")
    assert TransitionLog.objects.get(object_id=verification.pk, transition="reject").note == reason
    # back in the operator's queue, and verified this time
    client.force_login(operator_user("op"))
    assert agency.uscc in client.get(reverse("operator-identity-queue")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert verification_decide(agency, verified=True).ok
    assert Notification.objects.filter(recipient=clerk, kind=Notification.Kind.IDENTITY_DECIDED).count() == 2


def test_a_verified_agency_cannot_resubmit_and_only_the_operator_decides():
    agency, clerk = unverified()
    # an agency's clerk cannot verify itself
    result = identity_services.identity_decide(verification=verification_of(agency), actor=clerk, verified=True)
    assert result.outcome == TransitionLog.Outcome.REFUSED_PERMISSION
    assert refetch(agency).identity_verified_at is None
    assert verification_decide(agency, verified=True).ok
    result = identity_services.identity_resubmit(
        verification=verification_of(agency), actor=clerk, licence=pdf_file("again.pdf")
    )
    assert result.outcome == TransitionLog.Outcome.REFUSED_STATE


# --- the licence is private --------------------------------------------------------------------------------


def test_the_licence_is_served_to_the_agency_itself_and_the_operator_only(client):
    agency, clerk = unverified()
    verification = verification_of(agency)
    own = reverse("agency-file", args=["licence", verification.pk])
    operators = reverse("operator-identity-licence", args=[verification.pk])

    client.force_login(clerk)
    assert b"".join(client.get(own).streaming_content).startswith(b"%PDF-")
    assert own in client.get(reverse("agency-identity")).content.decode()
    assert client.get(operators).status_code == 403

    client.force_login(agency_user())  # another agency
    assert client.get(own).status_code == 404
    assert client.get(operators).status_code == 403
    client.force_login(buyer_user())
    assert client.get(own).status_code == 403
    assert client.get(operators).status_code == 403
    client.logout()
    for url in (own, operators):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.get(settings.MEDIA_URL + verification.licence.name).status_code == 404

    client.force_login(operator_user("op"))
    response = client.get(operators)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")


# --- the verifier is a setting; the agencies before it are legacy -------------------------------------------


class PlatformLogin(IdentityVerifier):
    """A test verifier: no licence asked, the registrant sent elsewhere to finish."""

    code = "test_platform"
    label = "test platform"
    needs_licence = False

    def next_url(self, verification):
        return f"/elsewhere/{verification.agency.uscc}/"


def test_the_verifier_is_chosen_by_the_setting(client, settings):
    from tests.marketplace.test_registration import form_data

    settings.ZJCS_IDENTITY_VERIFIER = "tests.workflows.test_identity.PlatformLogin"
    assert 'name="licence"' not in client.get(reverse("agency-register")).content.decode()
    data = form_data()
    del data["licence"]
    response = client.post(reverse("agency-register"), data)
    assert response.status_code == 302 and response.url == "/elsewhere/91441300MA4W12345R/"
    verification = IdentityVerification.objects.get(agency__uscc="91441300MA4W12345R")
    assert verification.method == "test_platform" and not verification.licence
    # the verifier's callback would decide as the system
    assert identity_services.identity_decide(verification=verification, actor=None, verified=True).ok
    assert refetch(verification.agency).identity_verified_at is not None


def test_the_migration_verifies_the_agencies_that_predate_it_as_legacy():
    migration = importlib.import_module("workflows.migrations.0010_identity_verification")
    old = Agency.objects.create(
        uscc="91441300MA4W12345R", name="惠州旧流程评估有限公司", region_id=AgencyFactory().region_id
    )
    assert old.identity_verified_at is None

    migration.legacy_verify(apps, None)

    verification = IdentityVerification.objects.get(agency=old)
    assert verification.method == "legacy" and verification.state == IdentityVerification.State.VERIFIED
    assert verification.reviewer is None and not verification.licence
    assert refetch(old).identity_verified_at is not None
    assert not TransitionLog.objects.filter(object_id=verification.pk, transition="verify").exists()
