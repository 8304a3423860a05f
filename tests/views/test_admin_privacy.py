"""Nobody reads a private link in the admin (issue 10, item 4): whoever holds a submitter's tracking
token or a seller's statement token acts as them, anonymously. Every page of every registered model
is read as a lead and searched for every secret the case holds; URL lookups through a secret (an
oracle, one character at a time) are refused; search and filters never touch one."""

import re
import uuid

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from takedowns import two_factor
from takedowns.evidence import store
from takedowns.models import ApiKey, Decision, Notice, Organisation, OutboundEmail, Penalty
from takedowns.workflow import notifier_misuse, organisations
from tests.factories import (
    PDF_BYTES,
    apply_penalties,
    decide,
    give_authenticator,
    log_in,
    make_lead,
    routed,
    upload,
    warned,
)

pytestmark = pytest.mark.django_db

# The secrets of each model, as the test knows them (not read from the code under test).
SECRETS = {
    "takedowns.notice": {"tracking_token", "confirmation_token", "submission_key"},
    "takedowns.evidence": {"submission_key"},
    "takedowns.decision": {"seller_token"},
    "takedowns.penalty": {"seller_token"},
    "takedowns.notifiermeasure": {"token"},
    "takedowns.outboundemail": {"body_text", "body_html"},
    "otp_totp.totpdevice": {"key"},
    "otp_static.statictoken": {"token"},
    # Issue 15: an organisation's private link, its keys' hashes, its webhook endpoints' signing secrets.
    "takedowns.organisation": {"tracking_token", "confirmation_token", "submission_key"},
    "takedowns.apikey": {"key_hash"},
    "takedowns.webhookendpoint": {"secret", "previous_secret"},
}
# The same secrets reached through a relation: each is an oracle too.
RELATED = {
    "takedowns.decision": ["item__notice__tracking_token", "item__notice__confirmation_token"],
    "takedowns.event": ["notice__tracking_token"],
    "takedowns.slaclock": ["notice__tracking_token", "strike__notice__tracking_token"],
    "takedowns.counternotice": ["decision__seller_token"],
    "takedowns.appeal": ["decision__seller_token", "penalty__seller_token"],
    "takedowns.strike": ["notice__tracking_token"],
    "takedowns.penalty": ["strike__notice__tracking_token"],
    "takedowns.notifierappeal": ["measure__token"],
    "takedowns.notifierevent": ["measure__token"],
    "takedowns.notifierproposal": ["measure__token"],
    "takedowns.apikey": ["organisation__tracking_token", "organisation__confirmation_token"],
}


@pytest.fixture
def boss(client):
    """A superuser (sees every model) with an authenticator and recovery codes, logged in with a code."""
    user = get_user_model().objects.create_superuser("boss", "boss@portal.test", "pw")
    give_authenticator(user)
    two_factor.new_recovery_codes(user)
    log_in(client, user)
    return user


@pytest.fixture
def secrets(now, catalogue, reviewers, bright, boss) -> list[str]:
    """A routed notice with one removal (a seller statement, a strike, a penalty statement), its
    evidence and every e-mail of it; every secret value those rows hold."""
    notice = routed(now, [("L-100003", "counterfeit"), ("L-100001", "counterfeit")])
    decide(notice, now, {"L-100003": "remove"})
    apply_penalties(now)
    evidence = store(notice.submission_key, "other", upload("x.pdf", PDF_BYTES), "application/pdf", notice=notice)
    measure = warned(now, make_lead("judge"))  # the notifier's private link to a measure (DSA Art. 23)
    notifier_misuse.file_appeal(measure, "My notice was right: the listing sells copies of our shoes.", now)
    notice = Notice.objects.get(pk=notice.pk)
    values = [notice.tracking_token, notice.confirmation_token, str(notice.submission_key),
              notice.submission_key.hex, str(evidence.submission_key)]
    values += [d.seller_token for d in Decision.objects.exclude(seller_token="")]
    values += [p.seller_token for p in Penalty.objects.all()]
    values.append(measure.token)
    values += [device.key for device in boss.totpdevice_set.all()]
    values += list(StaticToken.objects.values_list("token", flat=True))
    values += _organisation_secrets(now)
    kinds = set(OutboundEmail.objects.values_list("kind", flat=True))
    assert {"confirm_notice", "notice_received", "statement_of_reasons", "penalty_statement", "notifier_measure",
            "notifier_appeal_received", "organisation_confirm", "organisation_verified"} <= kinds
    assert len(set(values)) >= 10 and all(len(value) >= 8 for value in values)
    return values


def _organisation_secrets(now) -> list[str]:
    """An organisation (issue 15) registered, confirmed and verified, with a key made and one rotated, and an
    endpoint whose secret was rotated: its tokens, its keys (raw and hashed) and its secrets."""
    organisation, _created = organisations.register(
        {"name": "BrandGuard Services", "domain": "brandguard.example", "contact_name": "Jonas Weber",
         "contact_email": "jonas@brandguard.example", "country": "DE", "role": "agent", "language": "en"},
        uuid.uuid4(), now)
    organisations.confirm(organisation, now)
    organisations.verify(organisation, get_user_model().objects.get(username="boss"), now)
    first, first_key = organisations.create_key(organisation, "production", ["file", "read"], now)
    _second, second_key = organisations.rotate_key(first, now)
    endpoint, first_secret = organisations.add_endpoint(organisation, "https://hooks.brandguard.example/in", now)
    _endpoint, second_secret = organisations.rotate_endpoint_secret(endpoint, now)
    organisation = Organisation.objects.get(pk=organisation.pk)
    return [organisation.tracking_token, organisation.confirmation_token, str(organisation.submission_key),
            organisation.submission_key.hex, first_key, second_key, first_secret, second_secret,
            *ApiKey.objects.values_list("key_hash", flat=True)]


def pages(model_admin) -> list[str]:
    """The changelist and up to three change pages of a registered model."""
    meta = model_admin.model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    objects = model_admin.model._default_manager.order_by("pk")[:3]
    return [changelist] + [reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
                           for obj in objects]


def test_no_admin_page_shows_a_token_a_key_a_recovery_code_or_a_private_link(client, secrets):
    read = 0
    for model_admin in admin.site._registry.values():
        for url in pages(model_admin):
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert [secret for secret in secrets if secret in body] == [], url
            private = r"/(track|confirm|statement|penalty|notifier-measures|organisations)/[^\s\"'<]+/[\w-]{20,}"
            assert not re.search(private, body), url
            read += 1
    assert read > 40


def test_an_e_mail_shows_who_when_and_what_with_its_links_hidden(client, secrets):
    statement = OutboundEmail.objects.get(kind="notifier_measure")
    body = client.get(reverse("admin:takedowns_outboundemail_change", args=[statement.pk])).content.decode()
    assert "https://portal.test/notifier-measures/" in statement.body_text and "notifier-measures" not in body
    email = OutboundEmail.objects.filter(kind="notice_received").first()
    body = client.get(reverse("admin:takedowns_outboundemail_change", args=[email.pk])).content.decode()
    assert email.to in body and email.subject in body
    assert "[link hidden]" in body
    assert "https://portal.test/track/" in email.body_text and "portal.test/track" not in body


# Evidence, recovery codes and webhook endpoints have no list of their own (inlines only: no URL to look up through).
LISTED = {model: fields for model, fields in SECRETS.items() if model not in ("takedowns.evidence",
                                                                               "otp_static.statictoken",
                                                                               "takedowns.webhookendpoint")}


@pytest.mark.parametrize("model, lookup", [(model, field) for model, fields in LISTED.items() for field in fields]
                         + [(model, lookup) for model, lookups in RELATED.items() for lookup in lookups])
def test_a_url_lookup_through_a_secret_is_refused(client, secrets, model, lookup):
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    for query in ({f"{lookup}__startswith": "a"}, {lookup: "a"}, {f"{lookup}__regex": "^a"}):
        assert client.get(url, query).status_code == 400, (url, query)


def test_search_and_filters_never_touch_a_secret(secrets):
    for model_admin in admin.site._registry.values():
        label = model_admin.model._meta.label_lower
        names = [*model_admin.search_fields, *(f if isinstance(f, str) else f[0] for f in model_admin.list_filter
                                              if not isinstance(f, type)), *model_admin.list_display]
        parts = {part.lstrip("^=@") for name in names if isinstance(name, str) for part in name.split("__")}
        assert parts.isdisjoint(SECRETS.get(label, set()) | {"tracking_token", "confirmation_token", "seller_token",
                                                              "submission_key", "body_text", "body_html"}), label


def test_no_admin_exports_or_acts_on_rows_but_deleting(secrets):
    """No export action (CSV or other) exists to carry a secret out; django-axes adds a clean-up."""
    for model_admin in admin.site._registry.values():
        assert set(model_admin.get_actions(_lead_request())) <= {"delete_selected", "cleanup_expired_attempts"}


def _lead_request():
    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username="boss")
    return request
