"""Settings come from the environment and fail loudly when production values are missing."""

from pathlib import Path

import pytest
from django.core.checks import ERROR, Tags, run_checks

from portal.env import ImproperlyConfiguredEnv, email_settings, env_bool, env_int, env_rate, env_str
from tests.commands import PRODUCTION, run_manage


def test_production_settings_pass_the_deploy_check():
    result = run_manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(("missing", "message"), [
    ("SECRET_KEY", "Configuration error: SECRET_KEY must be set (required when DEBUG=false)."),
    ("ALLOWED_HOSTS", "Configuration error: ALLOWED_HOSTS must be set (required when DEBUG=false)."),
    ("DATABASE_URL", "Configuration error: DATABASE_URL must be set (required when DEBUG=false)."),
    ("REDIS_URL", "Configuration error: REDIS_URL (or CELERY_BROKER_URL) must be set (required when DEBUG=false)."),
    ("EMAIL_URL", "Configuration error: EMAIL_URL must be set (required when DEBUG=false)."),
    ("SITE_URL", "Configuration error: SITE_URL must be set (required when DEBUG=false)."),
])
def test_a_missing_production_setting_stops_the_start_with_its_name(missing, message):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = run_manage(env, "check")
    assert result.returncode == 1
    assert result.stderr.strip() == message


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean; use true or false."),
    ("SITE_URL", "takedowns.example.com", "SITE_URL='takedowns.example.com' must be an absolute http(s) URL."),
    ("EMAIL_URL", "pigeon://coop", "EMAIL_URL='pigeon://coop': unknown scheme 'pigeon'; use smtp, smtp+tls, smtps, "
                                   "file, console or locmem."),
    ("NOTICE_CONFIRMATION_DAYS", "seven", "NOTICE_CONFIRMATION_DAYS='seven' is not a whole number."),
    ("RATE_LIMIT_FILING_ADDRESS", "20 per hour", "RATE_LIMIT_FILING_ADDRESS='20 per hour' is not a rate: write a "
                                                 "count per period, e.g. 20/h, 5/15m, 100/d (s, m, h, d: seconds, "
                                                 "minutes, hours, days)."),
    ("TDB_API_URL", "transparency.dsa.ec.europa.eu",
     "TDB_API_URL='transparency.dsa.ec.europa.eu' must be an absolute http(s) URL."),
    ("MARKETPLACE_ACTIVE_RECIPIENTS", "many", "MARKETPLACE_ACTIVE_RECIPIENTS='many' is not a whole number."),
])
def test_a_malformed_setting_stops_the_start_with_its_name(name, value, message):
    result = run_manage({**PRODUCTION, name: value}, "check")
    assert result.returncode == 1
    assert result.stderr.strip() == f"Configuration error: {message}"


@pytest.mark.parametrize("value", ["DE", "GB", "DE-BY", "US-XX", "USA"])
def test_a_counter_notice_holiday_country_outside_the_us_stops_the_start(value):
    result = run_manage({**PRODUCTION, "COUNTER_NOTICE_HOLIDAY_COUNTRY": value}, "check")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Configuration error: COUNTER_NOTICE_HOLIDAY_COUNTRY={value!r} is not the US: the DMCA 512(g) restore "
        "window counts US business days; use US, or US-<state> for a state's holidays too (e.g. US-NY).")


@pytest.mark.parametrize("value", ["US", "us", "US-NY"])
def test_the_us_or_a_us_state_is_a_counter_notice_holiday_country(value):
    result = run_manage({**PRODUCTION, "COUNTER_NOTICE_HOLIDAY_COUNTRY": value}, "check")
    assert result.returncode == 0, result.stderr


def test_secrets_can_come_from_files(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SECRET_KEY_FILE", str(secret))
    assert env_str("SECRET_KEY") == "from-a-file"
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfiguredEnv, match="SECRET_KEY_FILE"):
        env_str("SECRET_KEY")


def test_env_bool_accepts_only_booleans(monkeypatch):
    monkeypatch.setenv("FLAG", "TRUE")
    assert env_bool("FLAG", False) is True
    monkeypatch.setenv("FLAG", "off")
    assert env_bool("FLAG", True) is False
    monkeypatch.delenv("FLAG")
    assert env_bool("FLAG", True) is True
    monkeypatch.setenv("FLAG", "yes please")
    with pytest.raises(ImproperlyConfiguredEnv):
        env_bool("FLAG", True)


def test_rates_are_a_count_per_period(monkeypatch):
    for value, expected in (("20/h", "20/h"), (" 5/15M ", "5/15m"), ("100/d", "100/d")):
        monkeypatch.setenv("RATE", value)
        assert env_rate("RATE", "1/s") == expected
    for value in ("0/h", "20", "20/w", "h/20", "-1/h"):
        monkeypatch.setenv("RATE", value)
        with pytest.raises(ImproperlyConfiguredEnv, match="is not a rate"):
            env_rate("RATE", "1/s")
    monkeypatch.delenv("RATE")
    assert env_rate("RATE", "1/s") == "1/s"


def test_env_int_has_a_minimum(monkeypatch):
    monkeypatch.setenv("DAYS", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="DAYS=0 must be at least 1"):
        env_int("DAYS", 7, minimum=1)


def test_email_urls():
    assert email_settings("smtp://user:p%40ss@mail.example:2525", Path("/tmp")) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "mail.example",
        "EMAIL_PORT": 2525, "EMAIL_HOST_USER": "user", "EMAIL_HOST_PASSWORD": "p@ss", "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 20}
    assert email_settings("smtps://mail.example", Path("/tmp"))["EMAIL_PORT"] == 465
    assert email_settings("smtp+tls://mail.example:587", Path("/tmp"))["EMAIL_USE_TLS"] is True
    assert email_settings("file:", Path("/var/mail")) == {
        "EMAIL_BACKEND": "takedowns.mailfiles.EmlFileBackend", "EMAIL_FILE_PATH": "/var/mail"}
    assert email_settings("file:///srv/mail", Path("/x"))["EMAIL_FILE_PATH"] == "/srv/mail"
    with pytest.raises(ImproperlyConfiguredEnv, match="has no host"):
        email_settings("smtp://", Path("/tmp"))


# --- Demo mode is never production (issue 10, item 9). ---

def test_demo_mode_with_debug_off_stops_the_start_naming_both_settings():
    result = run_manage({**PRODUCTION, "DEMO_MODE": "true"}, "check", "--deploy")
    assert (result.returncode, result.stderr.strip()) == (
        1, "Configuration error: DEMO_MODE=true is refused with DEBUG=false: demo mode turns the password validators "
           "off and creates demo logins with published passwords. Set DEMO_MODE=false in production (or DEBUG=true "
           "for a demo).")


def test_demo_mode_with_debug_on_starts():
    result = run_manage({"DEBUG": "true", "DEMO_MODE": "true"}, "check")
    assert (result.returncode, result.stderr) == (0, "")


def demo_mode_errors() -> list:
    return [message for message in run_checks(include_deployment_checks=True, tags=[Tags.security])
            if message.id == "takedowns.E002"]


def test_the_deploy_check_reports_demo_mode_where_settings_come_another_way(settings):
    settings.DEBUG, settings.DEMO_MODE = False, True
    [error] = demo_mode_errors()
    assert (error.level, error.msg, error.hint) == (
        ERROR, "DEMO_MODE=true with DEBUG=false: demo mode turns the password validators off and creates demo logins "
               "with published passwords.", "Set DEMO_MODE=false in production.")
    settings.DEMO_MODE = False
    assert demo_mode_errors() == []
    settings.DEBUG, settings.DEMO_MODE = True, True
    assert demo_mode_errors() == []


@pytest.mark.parametrize(("env", "printed"), [
    ({"DEBUG": "true"}, "None '' ''"),
    ({"DEBUG": "true", "DEMO_MODE": "true"}, "25000 '' ''"),
    ({"DEBUG": "true", "DEMO_MODE": "true", "MARKETPLACE_ACTIVE_RECIPIENTS": "1200",
      "TDB_API_URL": "https://transparency.example/", "TDB_API_TOKEN": "t"}, "1200 'https://transparency.example' 't'"),
])
def test_the_report_s_active_recipients_and_the_tdb_api_come_from_the_environment(env, printed):
    code = ("from django.conf import settings as s; "
            "print(s.MARKETPLACE_ACTIVE_RECIPIENTS, repr(s.TDB_API_URL), repr(s.TDB_API_TOKEN))")
    clean = {"MARKETPLACE_ACTIVE_RECIPIENTS": "", "TDB_API_URL": "", "TDB_API_TOKEN": "", "DEMO_MODE": "false"}
    result = run_manage({**clean, **env}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == printed  # after the shell's own line
