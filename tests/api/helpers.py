"""Organisations, keys and requests for the API's tests (until the orgs helper's factories are merged:
tests/factories.py's OrganisationFactory and ApiKeyFactory)."""

import json
import uuid
from datetime import timedelta

from takedowns import api_keys
from takedowns.enums import OrganisationStatus
from takedowns.models import ApiKey, Organisation

API = "/api/v1"


def organisation(now, status=OrganisationStatus.VERIFIED, domain="brandguard.example",
                 name="BrandGuard Services") -> Organisation:
    return Organisation.objects.create(
        reference=f"ORG-{uuid.uuid4().hex[:8].upper()}", name=name, domain=domain, contact_name="Mia Keller",
        contact_email=f"mia@{domain}", country="DE", role="agent", status=status, submission_key=uuid.uuid4(),
        tracking_token=uuid.uuid4().hex, confirmation_token=uuid.uuid4().hex, created_at=now,
        expires_at=now + timedelta(days=2), confirmed_at=now)


def key_for(org: Organisation, now, scopes=("file", "read")) -> str:
    new = api_keys.make_key()
    ApiKey.objects.create(organisation=org, name="ci", prefix=new.prefix, key_hash=new.key_hash, scopes=list(scopes),
                          created_at=now)
    return new.key


def body(listings=(("L-100001", "counterfeit"),), **overrides) -> dict:
    """The JSON of a trademark notice by Mia Keller of BrandGuard about `listings`."""
    data = {
        "submitter": {"name": "Mia Keller", "organisation": "BrandGuard Services", "email": "mia@brandguard.example",
                      "country": "DE", "role": "owner"},
        "right": {"type": "trademark", "registration_number": "018234567", "office": "EUIPO",
                  "owner": "Aerostride GmbH"},
        "description": "These sneakers carry our client's mark but it never made them; a test buy proved it.",
        "statements": {"good_faith": True, "accuracy": True},
        "signature": "Mia Keller", "language": "en",
        "listings": [{"reported": reported, "reason": reason} for reported, reason in listings],
    }
    data.update(overrides)
    return data


def post(client, path: str, key: str | None, data=None, **headers):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    extra.update({f"HTTP_{name.upper()}": value for name, value in headers.items()})
    return client.post(API + path, json.dumps(data if data is not None else {}), content_type="application/json",
                       **extra)


def get(client, path: str, key: str | None, **params):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.get(API + path, params, **extra)


def statements_of(captured) -> list[str]:
    """The statements a CaptureQueriesContext saw, each as its verb and table: "INSERT takedowns_notice",
    "SELECT takedowns_apikey" (the first table named), "BEGIN"."""
    labels = []
    for query in captured.captured_queries:
        words = query["sql"].replace('"', "").split()
        # The table after the verb's own keyword: an INSERT on PostgreSQL reads its rows FROM UNNEST(…).
        keyword = {"INSERT": "INTO", "UPDATE": "UPDATE"}.get(words[0], "FROM")
        table = words[words.index(keyword) + 1] if keyword in words else ""
        labels.append(f"{words[0]} {table}".strip())
    return labels
