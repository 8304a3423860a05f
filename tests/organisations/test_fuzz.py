"""No server error on hostile input on the organisations' pages (issue 15): tests/fuzzing.py's generated values
sent to the registration form, the private page's forms and query, and the leads' pages, as tests/views/test_fuzz.py
does for the rest of the site."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from takedowns.enums import OrganisationStatus
from takedowns.workflow import organisations as workflow
from tests import factories, fuzzing
from tests.factories import ApiKeyFactory, OrganisationFactory

pytestmark = pytest.mark.django_db
# A key or a secret shown once answers 200; the rest as any form (tests/fuzzing.py).
SHOWN = fuzzing.FORM | {200}


def _targets(verified, pending, key_id: int, endpoint_id: int) -> list[fuzzing.Target]:
    page = {"reference": (verified.reference,), "token": (verified.tracking_token,)}
    form = {name: (value,) for name, value in factories.organisation_post().items()}
    form.update(submission_key=("4d9b8a52-7b8e-4f8e-9a37-0c5c2d5b1f10", fuzzing.OMIT), role=("owner", "agent"),
                language=("en", "de", "zh-hans"))
    return [
        fuzzing.Target("registering an organisation", "anonymous", "POST", "/organisations/register/", params=form,
                       expected=fuzzing.FORM | {429}, examples=120),
        fuzzing.Target("the private page", "anonymous", "GET", "/organisations/{reference}/{token}/", page,
                       {"after": ("",)}, examples=60),
        fuzzing.Target("creating a key", "anonymous", "POST", "/organisations/{reference}/{token}/keys/new/", page,
                       {"name": ("production",), "scopes": ("file", "read")}, expected=SHOWN, examples=80),
        fuzzing.Target("rotating a key", "anonymous", "POST", "/organisations/{reference}/{token}/keys/{key}/rotate/",
                       {**page, "key": (str(key_id),)}, expected=SHOWN, examples=30),
        fuzzing.Target("adding an endpoint", "anonymous", "POST", "/organisations/{reference}/{token}/webhooks/new/",
                       page, {"url": ("https://hooks.brandguard.example/in",)}, expected=SHOWN, examples=80),
        fuzzing.Target("testing an endpoint", "anonymous", "POST",
                       "/organisations/{reference}/{token}/webhooks/{endpoint}/test/",
                       {**page, "endpoint": (str(endpoint_id),)}, expected=fuzzing.FORM, examples=30),
        fuzzing.Target("the organisations to verify", "lead", "GET", "/review/organisations/", params={
            "after": ("",), "others": ("",)}, examples=60),
        fuzzing.Target("rejecting an organisation", "lead", "POST", "/review/organisations/{reference}/reject/",
                       {"reference": (pending.reference,)}, {"reject-reasons": ("The domain is not theirs.",)},
                       expected=fuzzing.FORM, examples=60),
        fuzzing.Target("suspending an organisation", "lead", "POST", "/review/organisations/{reference}/suspend/",
                       {"reference": (verified.reference,)}, {"suspend-reasons": ("False claims, repeatedly.",)},
                       expected=fuzzing.FORM, examples=60),
    ]


def test_no_organisation_page_answers_hostile_input_with_a_server_error(now, lead, settings):
    fuzzing.counted_never_refused(settings)
    verified = OrganisationFactory()
    pending = OrganisationFactory(status=OrganisationStatus.PENDING, domain="pending.example")
    key = ApiKeyFactory(organisation=verified)
    endpoint, _secret = workflow.add_endpoint(verified, "https://hooks.brandguard.example/in", now)
    client = Client()
    factories.log_in(client, lead)
    visitors = {"anonymous": fuzzing.Visitor(),
                "lead": fuzzing.Visitor(client.cookies[django_settings.SESSION_COOKIE_NAME].value)}
    total = fuzzing.Tally()
    for target in _targets(verified, pending, key.pk, endpoint.pk):
        fuzzing.fuzz(target, visitors, total)
    assert total.hostile >= 200
    assert not any(code >= 500 for code in total.statuses)
