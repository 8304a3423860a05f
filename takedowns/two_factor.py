"""Two-factor log-in with django-otp: an authenticator app (TOTP) and single-use recovery codes
(django-otp's static tokens). The only writer of a user's OTP devices; who must have one is
takedowns/access.py's rule.

A user has at most one confirmed authenticator: enrolling a new one (after giving a code of the
old one, which access.py's gate asks first) replaces it, and every enrolment comes with a fresh
set of recovery codes, shown once. Wrong codes are throttled by django-otp per device (each
failure doubles the wait before the next try).
"""

import re

import segno
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
# The devices' names, stored in django-otp's rows (data, not shown on a page): English, not translated.
AUTHENTICATOR, RECOVERY = "Authenticator app", "Recovery codes"
TOTP_CODE = re.compile(r"\d{6}")


def has_device(user: User | AnonymousUser) -> bool:
    """A confirmed authenticator: recovery codes alone do not make a second factor."""
    return user.is_authenticated and TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator being enrolled: the same key until it is confirmed, so that reloading the
    page does not change the QR code the app has already read."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG, drawn here: the key never leaves for an outside service."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                               title=_("QR code for your authenticator app"))


def key_text(device: TOTPDevice) -> str:
    """The key as the apps ask for it when typed in (base 32, in groups of four)."""
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def enrol(device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows: it replaces any earlier one, and a fresh set
    of recovery codes is returned (to be shown once). None when the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        if device is None or not TOTP_CODE.fullmatch(code) or not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return new_recovery_codes(device.user)



def new_recovery_codes(user: User) -> list[str]:
    """Ten new single-use codes; the earlier ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def check_code(user: User, code: str) -> tuple[Device | None, str]:
    """The device that accepts this code (six digits: the authenticator; else a recovery code,
    used up by this), and why not when none does."""
    code = code.strip().replace(" ", "").lower()
    model = TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            return None, _("That is not a code of your authenticator app or one of your recovery codes.")
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            return None, _("Too many wrong codes: wait a minute, then try again.")
        if not device.verify_token(code):
            return None, _("That code is wrong or was already used. Codes change every 30 seconds.")
    return device, ""


def mark_verified(request: HttpRequest, device: Device) -> None:
    """This session gave a code of `device`: django-otp keeps that in the session until log-out."""
    otp_login(request, device)
