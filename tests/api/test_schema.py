"""The schema-driven test (issue 15, "Done when"): schemathesis generates requests for every endpoint from the
OpenAPI document the code generates (/api/v1/openapi.json) — valid ones and broken ones — and each answer must
be no server error and conform to the document (status documented, content type, headers, body schema). Bounded
and seeded (derandomize), so it runs in `make test` in seconds, and a failure reproduces."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from takedowns.models import Notice
from tests.api.helpers import key_for, organisation
from tests.factories import decide, routed

pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


# Loaded through the WSGI app, as a client would load it (django is set up before test modules are imported).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """The requests go to the WSGI app itself, not through Django's test Client, which stops Django from closing
    the connection at each request's start and end (it would close the test's transaction on PostgreSQL): the
    same here."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def api_key(now, catalogue, reviewers):
    """A key of a verified organisation with a routed notice holding a rejection, so that reads have a notice
    with a decision to show (a generated reference almost never names it: those requests are 404s)."""
    org = organisation(now)
    notice = routed(now, [("L-100001", "counterfeit"), ("L-100002", "counterfeit")],
                    submitter_email="mia@brandguard.example")
    Notice.objects.filter(pk=notice.pk).update(organisation=org)
    decide(notice, now, {"L-100001": "reject"})
    return key_for(org, now)


@schema.parametrize()
@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms_to_its_schema_and_never_fails(case, api_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)
