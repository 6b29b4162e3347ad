"""Sealed quotes (workflows.services.procurement.sealing): a quote is stored sealed and cannot be opened
before the sign-up deadline; after it, it opens to the amount given."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import agencies, published_project
from tests.helpers import wait_past
from workflows.services.procurement import signups as signup_services

pytestmark = pytest.mark.django_db


def test_quotes_stay_sealed_until_the_deadline(settings):
    from workflows.services.procurement.sealing import QuoteSealed, quote_open

    ((agency, user),) = agencies(1)
    settings.ZJCS_TIME_SCALE = 300_000
    project = published_project("draw")
    outcome = signup_services.signup_submit(project=project, agency=agency, actor=user, quote="52345.67")
    assert "52345" not in outcome.signup.sealed_quote and outcome.signup.quote is None
    with pytest.raises(QuoteSealed):
        quote_open(project, outcome.signup.sealed_quote)
    wait_past(project.signup_deadline)
    assert quote_open(project, outcome.signup.sealed_quote) == Decimal("52345.67")


def test_a_rotated_secret_still_opens_the_quotes_sealed_before_it(settings):
    # Rotating DJANGO_SECRET_KEY keeps the old one in SECRET_KEY_FALLBACKS (Django's rotation): quotes sealed
    # under it still open at the close; without it they cannot be opened by anyone.
    from workflows.services.procurement.sealing import quote_open, quote_seal

    ((agency, user),) = agencies(1)
    settings.ZJCS_TIME_SCALE = 300_000
    project = published_project("draw")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "old-secret-" + "x" * 40, []
    token = quote_seal(project.code, Decimal("48000.00"))
    wait_past(project.signup_deadline)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-secret-" + "y" * 40, ["old-secret-" + "x" * 40]
    assert quote_open(project, token) == Decimal("48000.00")
    assert quote_open(project, quote_seal(project.code, Decimal("1.00"))) == Decimal("1.00")
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        quote_open(project, token)
