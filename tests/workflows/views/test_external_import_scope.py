"""Who may import an external dishonesty list, and for whom: the import page driven as each user.

The platform credit office imports for every organisation, on the platform or not; a supervisor only a
list whose every row names an agency in its scope — any other row refuses the whole file, each such row
named, and nothing is imported or suspended.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credit_rules.models import CreditSubject, ExternalListing
from marketplace.models import Region, ServiceCategory
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import (
    AgencyFactory,
    admitted_agency,
    buyer_user,
    credit_office_user,
    listing_csv,
    listing_row,
    operator_user,
    supervisor_user,
)
from tests.helpers import logged_in, page_text, refetch
from workflows.models import Membership

pytestmark = pytest.mark.django_db

UNREGISTERED = uscc_build(region_code="441302", org_code=org_code_for_serial(4242, "XW"))


@pytest.fixture
def world():
    """A member in 惠城区's environmental services, another in 博罗县, and a 惠城区 supervisor of those services."""
    env = ServiceCategory.objects.get(code="ENV-EIA")
    huicheng, boluo = Region.objects.get(code="441302"), Region.objects.get(code="441322")
    inside, inside_membership, _u = admitted_agency(AgencyFactory(region=huicheng, categories=[env]))
    outside, outside_membership, _u = admitted_agency(AgencyFactory(region=boluo, categories=[env]))
    scoped = supervisor_user(regions=[huicheng], categories=[env])
    return inside, inside_membership, outside, outside_membership, scoped


def upload(client, *rows: str):
    content = listing_csv(*rows)
    response = client.post(reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.csv", content)})
    if response.context and "confirmation" in response.context:  # the check-your-answers page: confirm it
        response = client.post(
            reverse("supervisor-external-import"), {"step": "confirm", "confirmation": response.context["confirmation"]}
        )
    return response


def test_a_row_outside_the_scope_refuses_the_whole_file(world):
    # given a list naming a member in the supervisor's scope, one in another region, and a company not on the platform
    inside, inside_membership, outside, outside_membership, scoped = world
    unregistered_row = f"{UNREGISTERED},平台外某公司,未履行生效判决,失信被执行人名单,2026-01-05,"

    # when the scoped supervisor imports it
    response = upload(logged_in(scoped), listing_row(inside), listing_row(outside), unregistered_row)

    # then nothing is imported, each row outside the scope is named by its line, and no one is suspended
    text = page_text(response)
    assert "文件有 2 处错误，未导入任何记录" in text
    assert (
        '<td class="num">3</td>' in response.content.decode() and '<td class="num">4</td>' in response.content.decode()
    )
    assert f"「{outside.name}」不在您的监管范围内" in text
    assert f"{UNREGISTERED} 不是本平台登记的中介机构" in text
    assert not ExternalListing.objects.exists()
    assert refetch(inside_membership).state == refetch(outside_membership).state == Membership.State.ACTIVE
    assert not CreditSubject.objects.filter(is_suspended=True).exists()


def test_a_list_within_the_scope_is_imported_by_the_supervisor(world):
    inside, inside_membership, _outside, outside_membership, scoped = world

    response = upload(logged_in(scoped), listing_row(inside))

    assert "已导入 1 行；本平台机构受影响 1 家" in page_text(response)
    assert refetch(inside_membership).state == Membership.State.SUSPENDED
    assert refetch(outside_membership).state == Membership.State.ACTIVE


def test_the_credit_office_imports_for_every_organisation(world):
    # given the platform credit office, which has no supervisor profile and no scope
    inside, inside_membership, outside, outside_membership, _scoped = world
    client = logged_in(credit_office_user())
    unregistered_row = f"{UNREGISTERED},平台外某公司,未履行生效判决,失信被执行人名单,2026-01-05,"

    # when it imports the list the supervisor could not
    response = upload(client, listing_row(inside), listing_row(outside), unregistered_row)

    # then all three rows are in, and both members are suspended
    assert "已导入 3 行；本平台机构受影响 2 家" in page_text(response)
    assert ExternalListing.objects.filter(uscc=UNREGISTERED).exists()
    assert refetch(inside_membership).state == refetch(outside_membership).state == Membership.State.SUSPENDED


@pytest.mark.parametrize("who", [operator_user, buyer_user])
def test_other_roles_cannot_import(who):
    assert logged_in(who()).get(reverse("supervisor-external-import")).status_code == 403


def test_the_confirmation_names_each_member_and_nothing_is_imported_before_it(world):
    inside, inside_membership, _outside, _om, scoped = world
    client = logged_in(scoped)
    content = listing_csv(listing_row(inside))
    response = client.post(reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.csv", content)})
    text = page_text(response)
    assert "请核对后提交" in text and inside.name in text and inside.uscc in text and inside.region.name in text
    assert "暂停交易资格" in text
    assert not ExternalListing.objects.exists()
    assert refetch(inside_membership).state == Membership.State.ACTIVE
    confirmation = response.context["confirmation"]
    # a tampered confirmation, or one for another user, imports nothing
    client.post(reverse("supervisor-external-import"), {"step": "confirm", "confirmation": confirmation + "x"})
    other = logged_in(credit_office_user())
    response = other.post(reverse("supervisor-external-import"), {"step": "confirm", "confirmation": confirmation})
    assert "确认信息已失效或被改动" in page_text(response)
    assert not ExternalListing.objects.exists()
    # the confirmation imports it
    client.post(reverse("supervisor-external-import"), {"step": "confirm", "confirmation": confirmation})
    assert ExternalListing.objects.count() == 1
    assert refetch(inside_membership).state == Membership.State.SUSPENDED


def test_a_stale_import_confirmation_imports_nothing(world, settings):
    inside, inside_membership, _outside, _om, scoped = world
    client = logged_in(scoped)
    content = listing_csv(listing_row(inside))
    response = client.post(reverse("supervisor-external-import"), {"file": SimpleUploadedFile("list.csv", content)})
    settings.ZJCS_CONFIRM_MAX_AGE = -1
    response = client.post(
        reverse("supervisor-external-import"), {"step": "confirm", "confirmation": response.context["confirmation"]}
    )
    assert "确认页已过期" in page_text(response)
    assert not ExternalListing.objects.exists()
    assert refetch(inside_membership).state == Membership.State.ACTIVE
