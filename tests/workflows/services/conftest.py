"""The people the service tests act as: a supervisor in scope and one out of it, another agency's staff,
a buyer, and an admitted member."""

import pytest

from marketplace.models import Region
from tests.factories import admitted_agency, agency_user, buyer_user, supervisor_user


@pytest.fixture
def supervisor():
    return supervisor_user()


@pytest.fixture
def outsider():
    """A supervisor whose scope is another district: 惠阳区 does not cover the agencies (惠城区)."""
    return supervisor_user(regions=[Region.objects.get(code="441303")], all_categories=True)


@pytest.fixture
def stranger():
    """Staff of another agency."""
    return agency_user()


@pytest.fixture
def buyer():
    return buyer_user()


@pytest.fixture
def member(supervisor):
    """An admitted agency: (agency, membership, user)."""
    return admitted_agency(supervisor=supervisor)
