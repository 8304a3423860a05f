"""The demo data loads through the app's own code, and loading it twice changes nothing."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from takedowns.enums import NoticeStatus
from takedowns.models import Event, Listing, Notice, Reviewer, Right, Seller

pytestmark = pytest.mark.django_db


def counts():
    return (Seller.objects.count(), Listing.objects.count(), Right.objects.count(), Reviewer.objects.count(),
            Notice.objects.count(), Event.objects.count())


def test_seeds_load_idempotently_with_the_demo_logins(settings, capsys):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    first = counts()
    call_command("load_seeds")
    assert counts() == first
    sellers, listings, rights, reviewers, notices, _ = first
    assert sellers >= 30 and listings >= 200
    assert {r.right_type for r in Right.objects.all()} == {"trademark", "copyright", "design", "patent"}
    assert notices == 6  # three of them against one seller, S-2001: the demo of the penalty ladder
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.CONFIRMED, NoticeStatus.UNCONFIRMED}
    assert authenticate(username="reviewer", password="reviewer") is not None
    assert authenticate(username="lead", password="lead").is_superuser
    assert authenticate(username="pat", password="pat") is not None
    assert sorted(authenticate(username="lead", password="lead").groups.values_list("name", flat=True)) == [
        "Lead", "Reviewer"]
    assert list(authenticate(username="reviewer", password="reviewer").groups.values_list("name", flat=True)) == [
        "Reviewer"]
    skills = {r.user.username: sorted(r.skills.values_list("right_type", flat=True)) for r in Reviewer.objects.all()}
    assert skills["pat"] == ["patent"] and skills["reviewer"] == ["copyright", "trademark"]
    assert "demo login: reviewer / reviewer" in capsys.readouterr().out


def test_seeds_refuse_to_load_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE=true"):
        call_command("load_seeds")
    assert counts()[:4] == (0, 0, 0, 0)
