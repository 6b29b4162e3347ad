"""Bid secrecy: before the close, who signed up and how many is visible to no one but each bidder about
itself — not the buyer, not the admin; the draw secret is never displayed; a project cancelled during
sign-up keeps its bidders and quotes sealed for good."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.factories import QUOTES, UserFactory, agencies, buyer_user, published_project, signups_submit
from tests.helpers import after, logged_in, page_html
from workflows.models import Project, SignUp
from workflows.services.deadlines import deadlines_sweep
from workflows.services.procurement import projects as project_services
from workflows.services.procurement.sealing import QuoteSealed, quote_open

pytestmark = pytest.mark.django_db

ADMIN_LISTS = (
    "admin:workflows_signup_changelist",
    "admin:workflows_transitionlog_changelist",
    "admin:credit_rules_decisionrecord_changelist",
)


@pytest.fixture
def bidding():
    buyer = buyer_user()
    pool = agencies(3)
    project = published_project("draw", buyer=buyer)
    signups_submit(project, pool, QUOTES)
    return project, pool, buyer


def superuser_client():
    return logged_in(UserFactory(username="root", is_staff=True, is_superuser=True))


def signup_rows(client) -> dict[str, int]:
    """How many rows about sign-ups each admin list shows."""
    signup_type = ContentType.objects.get_for_model(SignUp)
    shown = {}
    for name in ADMIN_LISTS:
        rows = list(client.get(reverse(name)).context["cl"].result_list)
        if name.endswith("signup_changelist"):
            shown[name] = len(rows)
        elif name.endswith("transitionlog_changelist"):
            shown[name] = sum(1 for row in rows if row.content_type_id == signup_type.pk)
        else:
            shown[name] = sum(1 for row in rows if row.target.startswith("workflows.signup:"))
    return shown


def test_the_admin_shows_no_bidder_before_the_close_and_every_bidder_after(bidding):
    project, pool, _buyer = bidding
    client = superuser_client()
    html = page_html(client.get(reverse("admin:workflows_signup_changelist")))
    for agency, _user in pool:
        assert agency.name not in html and agency.uscc not in html
    assert signup_rows(client) == dict.fromkeys(ADMIN_LISTS, 0)

    deadlines_sweep(after(project.signup_deadline))
    html = page_html(client.get(reverse("admin:workflows_signup_changelist")))
    for agency, _user in pool:
        assert agency.name in html
    assert all(signup_rows(client).values())


def test_the_draw_secret_is_shown_nowhere_in_the_admin(bidding):
    project, _pool, _buyer = bidding
    client = superuser_client()
    html = page_html(client.get(reverse("admin:workflows_project_change", args=[project.pk])))
    assert project.code in html
    assert project.draw_secret and project.draw_secret not in html
    assert "draw_secret" not in html


def test_a_project_cancelled_during_sign_up_keeps_bidders_and_quotes_sealed_after_its_old_deadline(bidding):
    project, pool, buyer = bidding
    result = project_services.project_cancel(project=project, actor=buyer, reason="需求变更，项目终止")
    assert result.ok, result.messages
    project = Project.objects.get(pk=project.pk)
    moment = after(project.signup_deadline)
    deadlines_sweep(moment)

    client = logged_in(buyer)
    html = page_html(client.get(reverse("buyer-project", args=[project.code])))
    assert "永久密封" in html
    for agency, _user in pool:
        assert agency.name not in html and agency.uscc not in html
    for quote in QUOTES:
        assert str(quote) not in html
    # and the seal holds below the page: the one path that opens a quote refuses
    signup = project.signups.first()
    with pytest.raises(QuoteSealed):
        quote_open(project, signup.sealed_quote, moment)
