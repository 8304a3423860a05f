"""Two-factor log-in (issue 10, item 5; django-otp): outside demo mode a lead gives a code of an
authenticator app after the password, before any staff page or the admin; a lead without one is
sent to enrol one first. Reviewers may enrol (then they too give the code), or must with
TWO_FACTOR_FOR_REVIEWERS. Recovery codes each work once. Demo mode asks nobody."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from takedowns import two_factor
from tests.factories import give_authenticator, log_in, make_lead, make_reviewer, totp_code

pytestmark = pytest.mark.django_db

LEAD_PAGES = ["/review/dashboard/", "/review/decisions/tdb.json?ids=1", "/admin/", "/admin/takedowns/slapolicy/",
              "/review/"]


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEMO_MODE = False
    settings.TWO_FACTOR_FOR_REVIEWERS = False


def password_login(client: Client, username: str, password: str = "pw", next_page: str = "/review/"):
    return client.post("/review/login/", {"username": username, "password": password, "next": next_page})


def codes_on(response) -> list[str]:
    return re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())


# --- A lead without an authenticator: enrolment first. ---

@pytest.mark.parametrize("page", LEAD_PAGES)
def test_a_lead_without_an_authenticator_is_sent_to_enrol_one_before_any_staff_page(client, page):
    make_lead("boss", authenticator=False)
    assert password_login(client, "boss").status_code == 302
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"].startswith("/review/account/two-factor/?next=")


def test_a_lead_enrols_an_authenticator_and_gets_recovery_codes_once(client):
    lead = make_lead("boss", authenticator=False)
    password_login(client, "boss")
    page = client.get("/review/account/two-factor/", {"next": "/review/dashboard/"})
    body = page.content.decode()
    main = body[body.index("<main"):body.index("</main>")]
    assert page.status_code == 200 and 'id="two-factor-required"' in main
    assert "<svg" in main and "<img" not in main and "<script" not in main and " on" not in main.split("<svg")[1][:2000]
    device = TOTPDevice.objects.get(user=lead.user, confirmed=False)
    assert client.get("/review/account/two-factor/").content.decode().count(two_factor.key_text(device)) == 1

    wrong = client.post("/review/account/two-factor/", {"code": "12345", "next": "/review/dashboard/"})
    assert wrong.status_code == 400 and "Type the six digits the app shows" in wrong.content.decode()
    done = client.post("/review/account/two-factor/", {"code": totp_code(device), "next": "/review/dashboard/"})
    codes = codes_on(done)
    assert done.status_code == 200 and len(codes) == 10 and done["Cache-Control"] == "no-store"
    assert sorted(StaticToken.objects.filter(device__user=lead.user).values_list("token", flat=True)) == sorted(codes)
    assert TOTPDevice.objects.get(user=lead.user).confirmed  # the one device, confirmed
    assert 'href="/review/dashboard/" id="continue"' in done.content.decode()
    assert client.get("/review/dashboard/").status_code == 200  # this session gave its code
    assert client.get("/admin/").status_code == 200


def test_a_wrong_first_code_keeps_the_authenticator_unconfirmed(client):
    lead = make_lead("boss", authenticator=False)
    password_login(client, "boss")
    client.get("/review/account/two-factor/")
    device = TOTPDevice.objects.get(user=lead.user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/review/account/two-factor/", {"code": wrong})
    assert response.status_code == 400 and "That code does not match" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/review/dashboard/").status_code == 302


# --- A lead with an authenticator: the code after the password. ---

@pytest.fixture
def boss(db):
    return make_lead("boss")


@pytest.mark.parametrize("page", LEAD_PAGES)
def test_a_lead_gives_the_code_before_any_staff_page(client, boss, page):
    password_login(client, "boss")
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/review/login/verify/?next=")


def test_the_code_step_after_the_password(client, boss):
    response = password_login(client, "boss", next_page="/review/dashboard/")
    assert response["Location"] == "/review/dashboard/"
    response = client.get("/review/dashboard/")
    assert response["Location"] == "/review/login/verify/?next=/review/dashboard/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Two-factor log-in" in page.content.decode()
    wrong = client.post("/review/login/verify/", {"code": "000000", "next": "/review/dashboard/"})
    assert wrong.status_code == 400 and "That code is wrong or was already used" in wrong.content.decode()
    assert client.get("/review/dashboard/").status_code == 302


def test_the_right_code_opens_the_lead_pages_and_the_admin(client, settings, boss):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code of the test above would make this one wait
    password_login(client, "boss")
    device = TOTPDevice.objects.get(user=boss.user)
    response = client.post("/review/login/verify/", {"code": totp_code(device), "next": "/review/dashboard/"})
    assert (response.status_code, response["Location"]) == (302, "/review/dashboard/")
    assert client.get("/review/dashboard/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_wrong_codes_are_throttled(client, boss):
    password_login(client, "boss")
    device = TOTPDevice.objects.get(user=boss.user)
    client.post("/review/login/verify/", {"code": "000000"})
    client.post("/review/login/verify/", {"code": "000001"})
    response = client.post("/review/login/verify/", {"code": totp_code(device)})
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert client.get("/review/dashboard/").status_code == 302


def test_a_recovery_code_works_once(client, settings, boss):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # the refused second use would make the next code wait a second
    first, second, *_ = two_factor.new_recovery_codes(boss.user)
    password_login(client, "boss")
    response = client.post("/review/login/verify/", {"code": first.upper(), "next": "/review/dashboard/"})
    assert response["Location"] == "/review/dashboard/" and client.get("/review/dashboard/").status_code == 200
    client.post("/review/logout/")

    again = Client()
    password_login(again, "boss")
    used = again.post("/review/login/verify/", {"code": first})
    assert used.status_code == 400 and "That code is wrong or was already used" in used.content.decode()
    assert again.get("/review/dashboard/").status_code == 302
    assert StaticToken.objects.filter(device__user=boss.user).count() == 9
    fresh = Client()
    password_login(fresh, "boss")
    assert fresh.post("/review/login/verify/", {"code": second})["Location"] == "/review/"
    assert StaticToken.objects.filter(device__user=boss.user).count() == 8


def test_new_recovery_codes_replace_the_old_ones(client, boss):
    old = two_factor.new_recovery_codes(boss.user)
    log_in(client, boss)
    response = client.post("/review/account/two-factor/recovery-codes/", {"next": "/review/"})
    new = codes_on(response)
    assert len(new) == 10 and not set(new) & set(old)
    assert sorted(StaticToken.objects.filter(device__user=boss.user).values_list("token", flat=True)) == sorted(new)


def test_the_password_alone_cannot_replace_the_authenticator_or_get_codes(client, boss):
    """Whoever stole the password must not enrol their own authenticator."""
    password_login(client, "boss")
    response = client.get("/review/account/two-factor/")
    assert response["Location"].startswith("/review/login/verify/")
    client.post("/review/account/two-factor/", {"code": "123456"})
    refused = client.post("/review/account/two-factor/recovery-codes/")
    assert refused["Location"].startswith("/review/login/verify/")
    assert list(TOTPDevice.objects.filter(user=boss.user).values_list("confirmed", flat=True)) == [True]
    assert not StaticToken.objects.exists()


def test_a_lead_removes_a_lost_authenticator_in_the_admin_and_its_key_is_never_shown(client, boss):
    lost = give_authenticator(make_reviewer("rev", ["trademark"]).user)
    log_in(client, boss)
    page = client.get(f"/admin/otp_totp/totpdevice/{lost.pk}/change/").content.decode()
    assert "rev" in page and lost.key not in page
    assert client.get(f"/admin/otp_totp/totpdevice/{lost.pk}/config/").status_code == 403
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    assert client.post(f"/admin/otp_totp/totpdevice/{lost.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()


# --- Reviewers: optional, unless TWO_FACTOR_FOR_REVIEWERS. ---

def test_a_reviewer_without_an_authenticator_works_with_the_password(client):
    make_reviewer("rev", ["trademark"])
    assert password_login(client, "rev")["Location"] == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_reviewer_who_enrolled_gives_the_code_too(client):
    give_authenticator(make_reviewer("rev", ["trademark"]).user)
    password_login(client, "rev")
    assert client.get("/review/")["Location"] == "/review/login/verify/?next=/review/"


def test_reviewers_must_enrol_when_the_setting_says_so(client, settings):
    settings.TWO_FACTOR_FOR_REVIEWERS = True
    make_reviewer("rev", ["trademark"])
    password_login(client, "rev")
    assert client.get("/review/")["Location"] == "/review/account/two-factor/?next=/review/"


# --- Demo mode: the demo logins work with their password alone, and the login page says so. ---

def test_in_demo_mode_a_lead_logs_in_with_the_password_alone(client, settings):
    settings.DEMO_MODE = True
    make_lead("boss", authenticator=False)
    page = " ".join(client.get("/review/login/").content.decode().split())
    assert "Demo mode." in page and "log in without a second factor" in page
    assert password_login(client, "boss")["Location"] == "/review/"
    for path in ("/review/", "/review/dashboard/", "/admin/"):
        assert client.get(path).status_code == 200, path


def test_outside_demo_mode_the_login_page_does_not_mention_demo_logins(client):
    assert "Demo mode." not in client.get("/review/login/").content.decode()
