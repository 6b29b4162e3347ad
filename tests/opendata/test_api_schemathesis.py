"""schemathesis against the OpenAPI document: every public operation, called through the WSGI application with
inputs generated from the document, answers with no 5xx and nothing the document does not describe (status code,
content type, body schema). A few examples per operation keep it fast; the data is made through the services.

The document is loaded through the WSGI application at collection (the schema view reads no database);
``schemathesis.pytest.from_fixture`` would load it lazily, but does not run under this pytest.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from credit_rules.models import MeasureKind
from tests.factories import agencies, apply_measure, published_project

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application()).include(tag="public")


@pytest.fixture(autouse=True)
def _connection_kept():
    """A request through the WSGI application ends by closing connections it finds outside autocommit: on
    PostgreSQL that is the test's own transaction. Django's test client keeps it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def market(db):
    """Rows for the lists: an open project, an agency in the directory, an expelled one on the black list."""
    (_agency, _user), (expelled, _u2) = agencies(2)
    apply_measure(expelled, MeasureKind.EXPEL)
    published_project("draw")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_public_api_conforms_to_its_document(case, market):
    # No 5xx, and nothing the document does not describe. A well-formed filter the data cannot satisfy (a
    # category code that does not exist) is a documented 400, so "schema-valid data must be accepted" is not asked.
    case.call_and_validate(
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    )
