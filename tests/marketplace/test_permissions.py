"""Who may act for whom (marketplace.selectors and the object permissions): agency staff for their own
agency only, a buyer delegate acts but does not administer, a supervisor's scope needs both region and
category, and an account without a profile sees nothing."""

import pytest

from marketplace.models import Agency, ServiceCategory
from marketplace.selectors import agencies_for_user, buyer_units_for_user, supervisor_covers, supervisor_scope_q
from tests.factories import AgencyFactory, BuyerUnitFactory, agency_user, buyer_user, supervisor_user

pytestmark = pytest.mark.django_db


def test_agency_staff_act_for_their_own_agency_only():
    mine, other = AgencyFactory(), AgencyFactory()
    user = agency_user(mine)
    assert list(agencies_for_user(user)) == [mine]
    assert user.has_perm("marketplace.act_for_agency", mine)
    assert not user.has_perm("marketplace.act_for_agency", other)


def test_buyer_delegate_acts_but_does_not_administer():
    unit = BuyerUnitFactory()
    BuyerUnitFactory()
    delegate = buyer_user(unit, is_admin=False)
    assert list(buyer_units_for_user(delegate)) == [unit]
    assert not delegate.has_perm("marketplace.administer_buyerunit", unit)


def test_supervisor_scope_needs_region_and_category():
    from marketplace.models import Region

    env = ServiceCategory.objects.get(code="ENV-EIA")
    huicheng = Region.objects.get(code="441302")
    boluo = Region.objects.get(code="441322")
    in_scope = AgencyFactory(region=huicheng, categories=[env])
    wrong_region = AgencyFactory(region=boluo, categories=[env])
    wrong_category = AgencyFactory(region=huicheng)
    profile = supervisor_user(regions=[huicheng], categories=[env]).supervisor
    assert list(Agency.objects.filter(supervisor_scope_q(profile))) == [in_scope]
    assert supervisor_covers(profile, in_scope)
    assert not supervisor_covers(profile, wrong_region)
    assert not supervisor_covers(profile, wrong_category)


def test_no_profile_sees_nothing():
    AgencyFactory()
    assert not Agency.objects.filter(supervisor_scope_q(None)).exists()
