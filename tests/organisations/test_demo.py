"""The demo's professional notifier (issue 15): `make run` (load_seeds) leaves a verified "BrandGuard Services"
with one key whose raw value is settings.DEMO_API_KEY, and prints its private link and the key, so that the
README's curl example works against it. Loading again changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from takedowns import api_keys
from takedowns.enums import OrganisationEventKind, OrganisationStatus
from takedowns.models import ApiKey, Organisation
from takedowns.workflow import organisations
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_the_demo_organisation_is_verified_with_the_published_key(settings, capsys):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    call_command("load_seeds")
    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.domain, organisation.status, organisation.verified_by.username) == (
        "BrandGuard Services", "brandguard.example", OrganisationStatus.VERIFIED, "lead")
    key = ApiKey.objects.get()
    assert api_keys.find(settings.DEMO_API_KEY, timezone.now()) == key and key.scopes == ["file", "read"]
    assert list(organisation.events.values_list("kind", flat=True)) == [
        OrganisationEventKind.REGISTERED, OrganisationEventKind.CONFIRMED, OrganisationEventKind.VERIFIED,
        OrganisationEventKind.KEY_CREATED]
    out = capsys.readouterr().out
    assert f"https://portal.test{organisation.tracking_path()}" in out
    assert f"demo API key (README: export DEMO_API_KEY=...): {settings.DEMO_API_KEY}" in out


def test_a_chosen_key_is_refused_outside_demo_mode(settings, now):
    settings.DEMO_MODE = False
    with pytest.raises(ValueError, match="for the demo only"):
        organisations.add_known_key(OrganisationFactory(), "demo", ["read"], settings.DEMO_API_KEY, now)
    assert not ApiKey.objects.exists()
