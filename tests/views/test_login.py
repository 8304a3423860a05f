"""Log-in throttling (issue 10, item 5; django-axes): after LOGIN_FAILURE_LIMIT (5) failures for one
user name, or from one client address, no log-in is accepted, the right password included, until
LOGIN_LOCKOUT_MINUTES (15) have passed or a lead unlocks it in the admin. The page says so (429,
the login page with its message, the user name kept). The admin has no log-in of its own."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.utils import timezone

from takedowns.access import client_ip
from tests.factories import log_in, make_lead, make_reviewer

pytestmark = pytest.mark.django_db

LOCKED = "Log-in is locked."
WRONG = "Please enter a correct username and password."


def attempt(client: Client, username: str, password: str, address: str = "203.0.113.7", **headers):
    return client.post("/review/login/", {"username": username, "password": password, "next": "/review/"},
                       REMOTE_ADDR=address, headers=headers)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.fixture
def rev(db):
    return make_reviewer("rev", ["trademark"])


def test_the_right_password_is_refused_after_five_wrong_ones_for_that_user(client, rev):
    for _ in range(4):
        response = attempt(client, "rev", "guess")
        assert response.status_code == 200 and WRONG in response.content.decode()
    fifth = attempt(client, "rev", "guess")
    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
    right = attempt(client, "rev", "pw")
    assert right.status_code == 429 and not logged_in(client)
    page = " ".join(right.content.decode().split())
    assert "no log-in is accepted for 15 minutes after the last one, not even with the right password" in page
    assert 'name="username" value="rev"' in page and 'name="password"' in page  # the form, the name kept
    assert AccessAttempt.objects.get(username="rev").failures_since_start == 6


def test_a_hundred_wrong_passwords_then_the_right_one_do_not_log_in(client, rev):
    """The attack of the issue: 100 guesses for one account, then its password."""
    statuses = [attempt(client, "rev", f"guess-{n}").status_code for n in range(100)]
    assert statuses == [200] * 4 + [429] * 96
    assert attempt(client, "rev", "pw").status_code == 429 and not logged_in(client)


def test_an_address_that_failed_for_five_names_is_locked_for_every_name(client, rev):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        attempt(client, name, "guess", address="198.51.100.9")
    assert attempt(client, "rev", "pw", address="198.51.100.9").status_code == 429
    assert not logged_in(client)
    other = Client()
    assert attempt(other, "rev", "pw", address="198.51.100.10").status_code == 302 and logged_in(other)


def test_a_user_name_that_failed_from_five_addresses_is_locked_from_every_address(client, rev):
    for n in range(5):
        attempt(client, "rev", "guess", address=f"192.0.2.{n + 1}")
    assert attempt(client, "rev", "pw", address="192.0.2.99").status_code == 429 and not logged_in(client)
    other = make_reviewer("other", ["copyright"])
    assert attempt(client, other.user.username, "pw", address="192.0.2.99").status_code == 302


def test_the_lock_ends_after_the_lockout_minutes(client, rev):
    for _ in range(5):
        attempt(client, "rev", "guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, "rev", "pw").status_code == 302 and logged_in(client)


def test_a_successful_log_in_clears_the_earlier_failures(client, rev):
    for _ in range(4):
        attempt(client, "rev", "guess")
    assert attempt(client, "rev", "pw").status_code == 302
    assert not AccessAttempt.objects.exists()


def test_a_lead_unlocks_a_locked_user_in_the_admin(client, rev):
    for _ in range(5):
        attempt(client, "rev", "guess")
    lead_browser = Client()
    log_in(lead_browser, make_lead("boss"))
    listed = lead_browser.get("/admin/axes/accessattempt/").content.decode()
    assert "rev" in listed and "203.0.113.7" in listed
    [locked] = AccessAttempt.objects.all()
    response = lead_browser.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": [locked.pk], "post": "yes"})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert attempt(client, "rev", "pw").status_code == 302 and logged_in(client)


def test_the_admin_has_no_log_in_of_its_own(client, rev):
    """/admin/login/ sends to the one throttled login page; a password posted to it logs nobody in."""
    response = client.get("/admin/login/", {"next": "/admin/"})
    assert (response.status_code, response["Location"]) == (302, "/review/login/?next=/admin/")
    for _ in range(3):
        response = client.post("/admin/login/", {"username": "rev", "password": "pw"})
        assert response.status_code == 302 and response["Location"].startswith("/review/login/")
    assert not logged_in(client)


# --- The client's address: the connection's, or the trusted proxy header's. ---

def request_from(remote: str, forwarded: str | None = None, real_ip: str | None = None):
    headers = {key: value for key, value in (("X-Forwarded-For", forwarded), ("X-Real-IP", real_ip)) if value}
    return RequestFactory().post("/review/login/", REMOTE_ADDR=remote, headers=headers)


def test_without_a_configured_header_the_address_is_the_connections(settings):
    settings.CLIENT_IP_HEADER = ""
    assert client_ip(request_from("203.0.113.7", forwarded="1.2.3.4", real_ip="5.6.7.8")) == "203.0.113.7"


def test_behind_a_proxy_the_right_most_forwarded_address_counts(settings):
    """The entries before the last are whatever the client sent: a spoofed one changes nothing."""
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip(request_from("10.0.0.2", forwarded="1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("10.0.0.2", forwarded="2001:db8::1")) == "2001:db8::1"
    assert client_ip(request_from("10.0.0.2", forwarded="not-an-address")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(request_from("10.0.0.2", forwarded="1.2.3.4", real_ip="203.0.113.8")) == "203.0.113.8"


def test_a_spoofed_forwarded_header_does_not_dodge_the_lock(client, settings, rev):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    for n in range(5):  # the proxy appends the real address after whatever the client claims
        attempt(client, f"name{n}", "guess", address="10.0.0.2", **{"X-Forwarded-For": f"1.1.1.{n}, 203.0.113.7"})
    response = attempt(client, "rev", "pw", address="10.0.0.2", **{"X-Forwarded-For": "9.9.9.9, 203.0.113.7"})
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@pytest.mark.parametrize("username", ["r" * 151, "tm".ljust(256, "b")])
def test_a_user_name_longer_than_any_account_can_have_is_refused_by_the_form(client, rev, username):
    """Django's log-in form sets the length only as an HTML attribute; a longer name went on to the
    password check, and django-axes' record of the failure (255 characters) broke on PostgreSQL."""
    response = attempt(client, username, "guess")
    page = " ".join(response.content.decode().split())
    assert response.status_code == 200 and not logged_in(client)
    assert f"A user name has at most 150 characters; this one has {len(username)}." in page
    assert AccessAttempt.objects.count() == 0  # no password was tried, so no failure recorded


def test_a_user_name_of_exactly_the_longest_length_is_checked_as_usual(client, rev):
    response = attempt(client, "r" * 150, "guess")
    assert response.status_code == 200 and WRONG in response.content.decode()
    assert AccessAttempt.objects.get().username == "r" * 150
