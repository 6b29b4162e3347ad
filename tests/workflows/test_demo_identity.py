"""The demo's bulk identity verification writes exactly the rows registration and the operator's verdict write.

One agency with no verification goes through the services (``identity_open`` with the specimen licence, then
``identity_decide`` by the operator), another through ``identities_verify``'s bulk path; every row either adds
is compared with ids, timestamps and the agency's identity put aside (``test_demo_bulk.Normaliser``).
"""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from marketplace.models import Agency
from marketplace.validators import org_code_for_serial, uscc_build
from tests.factories import default_region, operator_user
from tests.workflows.test_demo_bulk import Normaliser, snapshot
from workflows.demo.identity import identities_verify, identity_verify_through_services
from workflows.models import IdentityVerification

pytestmark = pytest.mark.django_db


def inserted_agency(serial: int) -> Agency:
    """An agency row as the demo's bulk insert leaves it: no account, no verification."""
    return Agency.objects.create(
        uscc=uscc_build(region_code="441302", org_code=org_code_for_serial(serial, "DM")),
        name=f"惠州演示核验评估有限公司{serial}",
        region=default_region(),
        contact_name="张某",
    )


def test_bulk_verification_writes_every_row_the_services_write():
    operator = operator_user("operator_demo")
    by_services, by_bulk = inserted_agency(1), inserted_agency(2)

    before = snapshot()
    identity_verify_through_services(by_services, operator)
    services = Normaliser(before, by_services)

    before = snapshot()
    identities_verify(Agency.objects.filter(pk=by_bulk.pk), reviewer=operator)
    bulk = Normaliser(before, by_bulk)

    expected = services.rows()
    assert {"workflows_identityverification", "workflows_transitionlog"} <= set(expected)
    assert bulk.rows() == expected
    for agency in (by_services, by_bulk):
        verification = IdentityVerification.objects.get(agency=agency)
        assert verification.state == IdentityVerification.State.VERIFIED
        assert Agency.objects.get(pk=agency.pk).identity_verified_at == verification.decided_at
        with default_storage.open(verification.licence.name, "rb") as licence:
            assert agency.uscc.encode() in licence.read()


def test_agencies_already_verified_are_left_alone():
    operator = operator_user("operator_demo")
    agency = inserted_agency(3)
    identities_verify(Agency.objects.filter(pk=agency.pk), reviewer=operator)
    identities_verify(Agency.objects.filter(pk=agency.pk), reviewer=operator)
    assert IdentityVerification.objects.filter(agency=agency).count() == 1
