"""The site shell (config): the Wagtail home page, the language switch that never
leaves the site, the health check, the back offices and login, seed_demo (idempotent, scalable) and the
production settings' refusals and deploy check."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from marketplace.models import Agency, BuyerUnit, Qualification, SupervisorProfile

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_home_page_is_the_wagtail_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "中介超市" in response.content.decode()
    assert response.context["page"].specific_class.__name__ == "HomePage"


@pytest.mark.django_db
def test_english_switch_sets_language(client):
    response = client.get(reverse("language-switch"), {"language": "en", "next": "/"}, follow=True)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Intermediary" in body or "Home" in body
    assert client.cookies["zjcs_language"].value == "en"


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)"])
def test_language_switch_never_redirects_off_the_site(client, next_url):
    response = client.get(reverse("language-switch"), {"language": "en", "next": next_url})
    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.django_db
def test_language_switch_ignores_a_language_the_site_does_not_offer(client):
    response = client.get(reverse("language-switch"), {"language": "fr", "next": "/notices/"})
    assert (response.status_code, response["Location"]) == (302, "/notices/")
    assert "zjcs_language" not in response.cookies


@pytest.mark.django_db
def test_healthz_checks_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/admin/login/", "/cms/login/", "/accounts/login/"])
def test_back_offices_and_login_answer(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_login_and_dashboard(client):
    call_command("seed_demo", stdout=io.StringIO())
    response = client.post(reverse("login"), {"username": "buyer_demo", "password": "demo-2026"})
    assert response.status_code == 302
    body = client.get(reverse("dashboard")).content.decode()
    assert "惠州市住房和城乡建设局" in body


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_logins(capsys):
    call_command("seed_demo")
    counts = (Agency.objects.count(), BuyerUnit.objects.count(), Qualification.objects.count())
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert (Agency.objects.count(), BuyerUnit.objects.count(), Qualification.objects.count()) == counts
    assert counts[0] >= 60 and counts[1] >= 5
    assert Agency.categories.through.objects.values("servicecategory__parent").distinct().count() >= 8
    assert SupervisorProfile.objects.count() >= 1
    assert get_user_model().objects.filter(groups__name="operator").exists()
    for username in ("buyer_demo", "agency_demo", "supervisor_demo", "credit_office_demo", "operator_demo"):
        assert username in out


@pytest.mark.django_db
def test_seed_demo_scale_multiplies_agencies():
    call_command("seed_demo", scale=3, stdout=io.StringIO())
    assert Agency.objects.count() == 180
    assert len(set(Agency.objects.values_list("name", flat=True))) == 180
    # and the year beside them (scale 2 and up): past projects in their states, supervisors' findings
    from credit_rules.models import LedgerEntry
    from workflows.demo.year_credit import MARK
    from workflows.models import Project

    states = set(Project.objects.values_list("state", flat=True))
    assert {Project.State.AWARDED, Project.State.CANCELLED, Project.State.FAILED} <= states
    assert LedgerEntry.objects.filter(evidence__summary__startswith=MARK, code="CREDIT_WARNING").count() >= 50
    # buyer units in the README's proportion, the year's projects spread over them (about one a unit)
    from django.db.models import Count

    from marketplace.models import BuyerUnit
    from workflows.demo.bulk_buyers import BUYER_UNITS_PER_AGENCY, OFFICER_POSITION

    assert BuyerUnit.objects.count() == round(180 * BUYER_UNITS_PER_AGENCY)
    bulk_units = BuyerUnit.objects.filter(staff__position=OFFICER_POSITION)
    busiest = bulk_units.annotate(n=Count("projects")).order_by("-n").values_list("n", flat=True).first()
    assert busiest is not None and busiest <= 3


def _run_production(env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_production_refuses_without_secret_key():
    result = _run_production({"DJANGO_ALLOWED_HOSTS": "zjcs.example.gov.cn"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_without_allowed_hosts():
    result = _run_production({"DJANGO_SECRET_KEY": "k" * 60})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_passes_deploy_check():
    result = _run_production(
        {"DJANGO_SECRET_KEY": "x9!" * 20 + "Zq7#pL", "DJANGO_ALLOWED_HOSTS": "zjcs.example.gov.cn"}
    )
    assert result.returncode == 0, result.stderr + result.stdout
