"""The demo data loads through the app's own code, and loading it twice changes nothing; its logins
follow least privilege (only the lead is staff), also in a database loaded before that rule."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from takedowns import workflow
from takedowns.enums import NoticeStatus
from takedowns.models import Event, Listing, Notice, Reviewer, Right, Seller

pytestmark = pytest.mark.django_db


def counts():
    return (Seller.objects.count(), Listing.objects.count(), Right.objects.count(), Reviewer.objects.count(),
            Notice.objects.count(), Event.objects.count())


def log_in(username: str, password: str):
    """The user these credentials authenticate on the login page (django-axes wants the request)."""
    return authenticate(RequestFactory().post("/review/login/"), username=username, password=password)


def test_seeds_load_idempotently_with_the_demo_logins(settings, capsys):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    first = counts()
    call_command("load_seeds")
    assert counts() == first
    sellers, listings, rights, reviewers, notices, _ = first
    assert sellers >= 30 and listings >= 200
    assert {r.right_type for r in Right.objects.all()} == {"trademark", "copyright", "design", "patent"}
    assert notices == 7  # three of them against one seller, S-2001: the demo of the penalty ladder
    assert Notice.objects.filter(language="zh-hans").count() == 1  # a Chinese one (issue 13)
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.CONFIRMED, NoticeStatus.UNCONFIRMED}
    assert log_in("reviewer", "reviewer") is not None
    assert log_in("lead", "lead").is_superuser
    assert log_in("pat", "pat") is not None
    assert sorted(log_in("lead", "lead").groups.values_list("name", flat=True)) == ["Lead", "Reviewer"]
    assert list(log_in("reviewer", "reviewer").groups.values_list("name", flat=True)) == ["Reviewer"]
    skills = {r.user.username: sorted(r.skills.values_list("right_type", flat=True)) for r in Reviewer.objects.all()}
    assert skills["pat"] == ["patent"] and skills["reviewer"] == ["copyright", "trademark"]
    assert "demo login: reviewer / reviewer" in capsys.readouterr().out


def flags() -> dict[str, tuple[bool, bool, int]]:
    """Per demo login: staff, superuser, and how many permissions it holds (its own and its groups')."""
    return {user.username: (user.is_staff, user.is_superuser, len(user.get_all_permissions()))
            for user in get_user_model().objects.order_by("username")}


def test_only_the_lead_is_staff_and_reviewers_hold_no_permission(settings):
    settings.DEMO_MODE = True
    call_command("load_seeds")
    staff = flags()
    assert {name: flag[:2] for name, flag in staff.items()} == {
        "dana": (False, False), "lead": (True, True), "pat": (False, False), "reviewer": (False, False)}
    assert [staff[name][2] for name in ("dana", "pat", "reviewer")] == [0, 0, 0]
    lead_group = Group.objects.get(name="Lead").permissions
    assert lead_group.filter(codename="change_slapolicy").exists()
    assert lead_group.filter(content_type__app_label="axes", codename="delete_accessattempt").exists()
    assert lead_group.filter(content_type__app_label="otp_totp", codename="delete_totpdevice").exists()
    assert not lead_group.filter(content_type__app_label="auth").exists()


def test_loading_again_takes_the_staff_flag_and_permissions_from_an_earlier_demo_database(settings):
    """A database the demo loaded before the least-privilege rule: every reviewer staff, their group
    holding every view permission of the app, pat in the Lead group by mistake."""
    settings.DEMO_MODE = True
    call_command("load_seeds")
    get_user_model().objects.update(is_staff=True)
    views = Permission.objects.filter(content_type__app_label="takedowns", codename__startswith="view_")
    Group.objects.get(name="Reviewer").permissions.set(views)
    pat = get_user_model().objects.get(username="pat")
    pat.user_permissions.set(views)
    pat.groups.add(Group.objects.get(name="Lead"))
    call_command("load_seeds")
    assert {name: flag for name, flag in flags().items() if name != "lead"} == {
        "dana": (False, False, 0), "pat": (False, False, 0), "reviewer": (False, False, 0)}
    assert list(pat.groups.values_list("name", flat=True)) == ["Reviewer"]


def test_seeds_refuse_to_load_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="DEMO_MODE=true"):
        call_command("load_seeds")
    assert counts()[:4] == (0, 0, 0, 0)


def test_the_demo_has_a_high_risk_notice_for_the_designated_lead(settings, now):
    """Borsa Rossi's notice is about a bag, and a bag seller of the marketplace writes from borsarossi.example:
    risk screening makes it high risk, and routing gives it to the lead, the demo's designated reviewer."""
    settings.DEMO_MODE = True
    call_command("load_seeds")
    assert list(Reviewer.objects.filter(risk_reviewer=True).values_list("user__username", flat=True)) == ["lead"]
    notice = Notice.objects.get(submitter_email="marta@borsarossi.example")
    workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert (notice.risk_band, notice.assigned_to.user.username) == ("high", "lead")
    assert notice.risk_reasons[0]["text"] == (
        "seller S-2037, which also sells bags, shares the notifier's e-mail domain")
