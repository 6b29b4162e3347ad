"""The bulk buyer units of the seeded year write exactly the rows the services write for a unit and its
administrator, and come in the README's proportion with names that never repeat."""

from __future__ import annotations

import dataclasses

import pytest
from faker import Faker

from marketplace import services as market
from marketplace.models import BuyerUnit
from marketplace.roles import Role
from marketplace.validators import org_code_for_serial, uscc_build, uscc_problem
from workflows.demo.bulk_buyers import (
    BUYER_UNITS_PER_AGENCY,
    OFFICER_POSITION,
    UnitSpec,
    buyer_units_insert,
    buyer_units_seed,
    unit_names,
    unit_specs,
)
from workflows.demo.people import DEMO_PASSWORD

from .test_demo_bulk import Normaliser, snapshot

pytestmark = pytest.mark.django_db


def through_services(spec: UnitSpec) -> BuyerUnit:
    unit = BuyerUnit.objects.create(
        uscc=spec.uscc,
        name=spec.name,
        region=spec.region,
        supervising_department=spec.supervising_department,
        address=spec.address,
        contact_name=spec.contact_name,
        contact_phone=spec.contact_phone,
    )
    user = market.user_create(
        username=spec.username, password=DEMO_PASSWORD, role=Role.BUYER, full_name=spec.contact_name
    )
    market.buyer_staff_add(unit=unit, user=user, is_admin=True, position=OFFICER_POSITION)
    return unit


def test_bulk_units_write_every_row_the_services_write():
    # given two units alike but for their identity
    spec = unit_specs(1, Faker("zh_CN"))[0]
    other = uscc_build(authority="1", kind="1", region_code=spec.region.code, org_code=org_code_for_serial(7, "GY"))
    twin = dataclasses.replace(
        spec, uscc=other, name="惠州市某某局", username=f"buyer_{other.lower()}", contact_name="王某"
    )

    before = snapshot()
    by_services = through_services(spec)
    services = Normaliser(before, by_services).rows()

    before = snapshot()
    (by_bulk,) = buyer_units_insert([twin])
    bulk = Normaliser(before, by_bulk).rows()

    # then both add the same tables, the same number of rows, and the same values
    assert {"marketplace_buyerunit", "marketplace_buyerstaff", "guardian_userobjectpermission"} <= set(services)
    assert bulk == services


def test_the_seed_adds_units_in_proportion_and_only_the_missing_ones():
    # given 300 agencies' worth of units asked for twice
    fake = Faker("zh_CN")
    added = buyer_units_seed(300, fake)
    again = buyer_units_seed(300, fake)

    # then there are 1.058 a agency, every name and USCC distinct and valid, and the second run added nothing
    assert added == round(300 * BUYER_UNITS_PER_AGENCY) and again == 0
    units = list(BuyerUnit.objects.values_list("name", "uscc"))
    assert len({name for name, _ in units}) == len({uscc for _, uscc in units}) == len(units) == added
    assert all(uscc_problem(uscc) is None for _, uscc in units)
    # and every unit's administrator acts for it, as the services grant
    unit = BuyerUnit.objects.get(name=units[-1][0])
    user = unit.staff.get().user
    assert user.has_perm("marketplace.act_for_buyerunit", unit)
    assert user.check_password(DEMO_PASSWORD)


def test_names_continue_without_repeating_far_past_the_departments():
    # the sequence a province-sized seed walks (100,000 agencies: 105,800 units)
    from marketplace.models import Region

    regions = list(Region.objects.filter(code__startswith="4413").exclude(code="441300"))
    names = unit_names(regions)
    first = [next(names)[0] for _ in range(3000)]
    assert len(set(first)) == 3000
