"""Who may do what in the credit back office, driven through the real Django admin URLs as each user.

Plain supervisors have no Django admin (their pages are /supervisor/, scoped); only the platform credit
office edits and publishes policy versions and adds commitment letter versions; a commitment letter in
force never changes its wording, in the model or in the admin.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from credit_rules.models import CommitmentLetter, LedgerEntry, PolicyVersion
from credit_rules.policy import policy_draft_from
from marketplace.models import Region, ServiceCategory
from tests.factories import (
    AgencyFactory,
    UserFactory,
    admitted_agency,
    credit_office_user,
    record_event,
    supervisor_user,
)
from tests.helpers import logged_in, refetch
from workflows.models import Membership

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_policy_cache")]

POLICY_LIST = "/admin/credit_rules/policyversion/"
LEDGER_LIST = "/admin/credit_rules/ledgerentry/"
LETTER_LIST = "/admin/credit_rules/commitmentletter/"


def scoped_supervisor(*, staff: bool = False, perms: tuple[str, ...] = ()):
    """A supervisor of 惠城区's environmental services; made staff and given admin permissions by hand if asked
    (what every supervisor was, and had, before the credit office took them over)."""
    user = supervisor_user(
        regions=[Region.objects.get(code="441302")], categories=[ServiceCategory.objects.get(code="ENV-EIA")]
    )
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(content_type__app_label="credit_rules", codename=codename))
    return user


def publish_action(client, version: PolicyVersion):
    return client.post(POLICY_LIST, {"action": "publish", "_selected_action": [version.pk]})


def draft() -> PolicyVersion:
    return policy_draft_from(base=PolicyVersion.objects.get(version=1), note="草稿")


# --- the Django admin is closed to plain supervisors ------------------------------------------------------


def test_a_plain_supervisor_cannot_reach_the_admin(client):
    # given a supervisor scoped to one region and category, and ledger entries in and out of its scope
    env = ServiceCategory.objects.get(code="ENV-EIA")
    record_event(AgencyFactory(region=Region.objects.get(code="441302"), categories=[env]), "CONTRACT_LATE")
    record_event(AgencyFactory(region=Region.objects.get(code="441322"), categories=[env]), "CONTRACT_LATE")
    client.force_login(scoped_supervisor())

    # then the admin sends it to log in, as it would anyone who is not staff: no ledger entry is shown
    for url in ("/admin/", LEDGER_LIST, POLICY_LIST):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_a_supervisor_made_staff_by_hand_sees_no_credit_row(client):
    # given a supervisor account left staff (as supervisors were before), with ledger entries on record
    record_event(AgencyFactory(), "CONTRACT_LATE")
    assert LedgerEntry.objects.exists()
    client.force_login(scoped_supervisor(staff=True))

    # then the supervisor group holds no credit permission any more: every credit list is refused
    for url in (LEDGER_LIST, POLICY_LIST, LETTER_LIST, "/admin/credit_rules/creditsubject/"):
        assert client.get(url).status_code == 403


def test_the_credit_permissions_moved_from_supervisors_to_the_credit_office():
    supervisor = Group.objects.get(name="supervisor")
    office = Group.objects.get(name="credit_office")
    assert not supervisor.permissions.filter(content_type__app_label="credit_rules").exists()
    assert {"publish_page"} & set(supervisor.permissions.values_list("codename", flat=True)) == set()
    codenames = set(office.permissions.values_list("codename", flat=True))
    assert {"change_policyversion", "add_commitmentletter", "view_ledgerentry", "access_admin"} <= codenames
    assert "change_ledgerentry" not in codenames and "delete_commitmentletter" not in codenames


def test_the_credit_office_reads_the_whole_ledger_but_writes_none_of_it():
    entry = record_event(AgencyFactory(), "CONTRACT_LATE")
    client = logged_in(credit_office_user())
    assert entry.subject.name in client.get(LEDGER_LIST).content.decode()
    assert client.get(f"{LEDGER_LIST}add/").status_code == 403


# --- policy: edited and published by the platform credit office only ---------------------------------------


def test_a_supervisor_cannot_publish_a_policy_even_with_the_permission_granted_by_hand():
    # given a draft, and a supervisor made staff and given the old policy permissions by hand
    version = draft()
    client = logged_in(scoped_supervisor(staff=True, perms=("view_policyversion", "change_policyversion")))

    # when it posts the publish action, and an edit of the draft
    publish_action(client, version)
    client.post(f"{POLICY_LIST}{version.pk}/change/", {"note": "改过", "version": version.version})

    # then the draft is neither published nor changed (the role is missing, whatever the permissions say)
    version = refetch(version)
    assert version.published_at is None and version.note == "草稿"


def test_a_superuser_does_not_publish_a_policy_either():
    version = draft()
    publish_action(logged_in(UserFactory(is_superuser=True, is_staff=True)), version)
    assert refetch(version).published_at is None


def test_the_credit_office_publishes_a_policy():
    version = draft()
    client = logged_in(credit_office_user())
    assert "publish" in client.get(POLICY_LIST).content.decode()

    response = publish_action(client, version)

    assert response.status_code == 302
    assert refetch(version).published_at is not None


# --- commitment letters are immutable once in force --------------------------------------------------------


def test_a_letter_in_force_refuses_any_change_in_the_model():
    letter = CommitmentLetter.objects.get(version=1)
    original = letter.body

    letter.body = original + "（改写）"
    with pytest.raises(ValidationError):
        letter.save()
    with pytest.raises(ValidationError):
        CommitmentLetter.objects.filter(pk=letter.pk).update(body="改写")
    with pytest.raises(ValidationError):
        CommitmentLetter.objects.filter(pk=letter.pk).update(effective_from=timezone.now())
    with pytest.raises(ValidationError):
        CommitmentLetter.objects.get(pk=letter.pk).delete()
    assert CommitmentLetter.objects.get(pk=letter.pk).body == original


def test_a_scheduled_letter_changes_until_in_force_or_signed():
    # given version 2, to take effect next month
    letter = CommitmentLetter.objects.create(
        version=2, body="第二版承诺书。", effective_from=timezone.now() + datetime.timedelta(days=30)
    )
    # then its wording may still be corrected
    letter.body = "第二版承诺书（校对）。"
    letter.save()

    # but once a membership holds it, it is frozen even before its date
    _agency, membership, _user = admitted_agency()
    Membership.objects.filter(pk=membership.pk).update(commitment=letter, commitment_digest=letter.digest)
    letter.body = "第二版承诺书（再改）。"
    with pytest.raises(ValidationError):
        letter.save()
    assert CommitmentLetter.objects.get(pk=letter.pk).digest == refetch(membership).commitment_digest


def test_a_new_letter_never_takes_effect_retroactively():
    letter = CommitmentLetter(version=2, body="第二版", effective_from=timezone.now() - datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        letter.full_clean()
    assert "effective_from" in refused.value.message_dict


def test_the_admin_shows_a_letter_in_force_read_only_and_refuses_to_change_it():
    letter = CommitmentLetter.objects.get(version=1)
    client = logged_in(credit_office_user())
    url = f"{LETTER_LIST}{letter.pk}/change/"

    page = client.get(url).content.decode()
    assert 'name="body"' not in page and letter.body[:10] in page

    response = client.post(url, {"title": letter.title, "body": "改写后的承诺书", "effective_from_0": "2020-01-01"})
    assert response.status_code == 403
    assert CommitmentLetter.objects.get(pk=letter.pk).body == letter.body


def _new_letter_form(when: datetime.datetime) -> dict:
    local = timezone.localtime(when)
    return {
        "title": "中介机构信用承诺书",
        "body": "本机构郑重承诺（第二版）。",
        "effective_from_0": local.strftime("%Y-%m-%d"),
        "effective_from_1": local.strftime("%H:%M:%S"),
        "_save": "1",
    }


def test_the_credit_office_adds_a_new_version_from_a_later_date():
    client = logged_in(credit_office_user())

    # a backdated version is refused
    client.post(f"{LETTER_LIST}add/", _new_letter_form(timezone.now() - datetime.timedelta(days=3)))
    assert CommitmentLetter.objects.count() == 1

    # a version from next week is version 2; version 1 is untouched
    response = client.post(f"{LETTER_LIST}add/", _new_letter_form(timezone.now() + datetime.timedelta(days=7)))
    assert response.status_code == 302
    assert CommitmentLetter.objects.get(version=2).body == "本机构郑重承诺（第二版）。"


def test_a_supervisor_cannot_add_a_letter_even_with_the_permission_granted_by_hand():
    client = logged_in(scoped_supervisor(staff=True, perms=("view_commitmentletter", "add_commitmentletter")))
    response = client.post(f"{LETTER_LIST}add/", _new_letter_form(timezone.now() + datetime.timedelta(days=7)))
    assert response.status_code == 403
    assert CommitmentLetter.objects.count() == 1
