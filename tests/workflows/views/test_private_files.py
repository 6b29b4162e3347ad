"""Uploads are private: never under a public URL, in any settings module; each party downloads its own."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.conf import settings
from django.urls import Resolver404, clear_url_caches, resolve, reverse
from django.utils import timezone

from marketplace.models import Qualification, QualificationLevel, QualificationType
from tests.factories import agency_user, applicant
from tests.helpers import pdf_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def scan(client):
    """An applicant's qualification scan, uploaded through its page."""
    agency, _membership, user = applicant(qualified=False, statement=None)
    client.force_login(user)
    qtype = QualificationType.objects.get(code="Q-RE")
    data = {
        "qualification_type": qtype.pk,
        "level": QualificationLevel.objects.get(qualification_type=qtype, rank=2).pk,
        "certificate_no": "粤房估备字 0456",
        "issued_by": "惠州市住房和城乡建设局",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=500)).isoformat(),
        "document": pdf_file(),
    }
    assert client.post(reverse("agency-qualification-add"), data).status_code == 302
    return agency, user, Qualification.objects.get(agency=agency)


def test_the_agency_downloads_its_own_scan_and_the_page_links_to_the_view(client, scan):
    _agency, _user, qualification = scan
    url = reverse("agency-file", args=["qualification", qualification.pk])
    page = client.get(reverse("agency-membership")).content.decode()
    assert url in page
    assert settings.MEDIA_URL not in page
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_another_agency_and_the_public_get_nothing(client, scan):
    _agency, _user, qualification = scan
    url = reverse("agency-file", args=["qualification", qualification.pk])
    other = agency_user()
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.get(reverse("agency-file", args=["nonsense", qualification.pk])).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    # and the stored path itself answers nothing, whoever asks
    assert client.get(settings.MEDIA_URL + qualification.document.name).status_code == 404


def test_no_settings_module_maps_media_to_a_public_url(settings):
    """Even with DEBUG on (make demo), the URL map has no route serving MEDIA_ROOT."""
    settings.DEBUG = True
    import config.urls

    try:
        importlib.reload(config.urls)
        clear_url_caches()
        try:
            match = resolve(settings.MEDIA_URL + "evidence/2026/proposal.pdf")
        except Resolver404:
            match = None
        # Wagtail's catch-all page route may match, and answers 404 for a path with no page.
        assert match is None or match.url_name == "wagtail_serve", match
    finally:
        settings.DEBUG = False
        importlib.reload(config.urls)
        clear_url_caches()
