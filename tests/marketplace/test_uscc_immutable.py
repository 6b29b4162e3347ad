"""A USCC never changes once recorded: an expelled agency cannot come back clean under its old code."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketplace.models import Agency
from tests.factories import AgencyFactory, BuyerUnitFactory, UserFactory
from tests.helpers import logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [AgencyFactory, BuyerUnitFactory], ids=["agency", "buyer-unit"])
def test_saving_a_changed_uscc_is_refused_and_nothing_changes(factory):
    organisation = factory()
    original = organisation.uscc
    organisation.uscc = AgencyFactory.build().uscc
    organisation.name = "改名后的名称"
    with pytest.raises(ValidationError) as refused:
        organisation.save()
    assert "统一社会信用代码登记后不能更改" in str(refused.value)
    stored = type(organisation).objects.get(pk=organisation.pk)
    assert stored.uscc == original and stored.name != "改名后的名称"


def test_other_fields_still_save():
    agency = AgencyFactory()
    agency.address = "惠州市惠城区新址"
    agency.save()
    assert Agency.objects.get(pk=agency.pk).address == "惠州市惠城区新址"


def test_the_admin_shows_the_uscc_read_only_and_a_forged_post_does_not_change_it():
    agency = AgencyFactory()
    client = logged_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:marketplace_agency_change", args=[agency.pk])
    page = client.get(url).content.decode()
    assert 'name="uscc"' not in page and agency.uscc in page
    client.post(url, {"uscc": AgencyFactory.build().uscc, "name": agency.name, "region": agency.region_id})
    assert Agency.objects.get(pk=agency.pk).uscc == agency.uscc
