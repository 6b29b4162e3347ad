"""schemathesis against the OpenAPI document: every public operation, called through the WSGI application with
inputs generated from the document, answers with no 5xx and nothing the document does not describe (status code,
content type, body schema). A few examples per operation keep it fast; the data is made through the services."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from credit_rules.models import MeasureKind
from tests.factories import agencies, apply_measure, published_project


@pytest.fixture
def api_schema(db):
    (agency, _user), (expelled, _u2) = agencies(2)
    apply_measure(expelled, MeasureKind.EXPEL)
    published_project("draw")
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application()).include(tag="public")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_api_conforms_to_its_document(case):
    case.call_and_validate()
