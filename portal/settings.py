"""Settings for the Takedown Portal. Everything comes from the environment.

With DEBUG=true (what `make run` and `make test` set) every setting has a safe local default:
SQLite under var/, a file-system Celery broker under var/broker, e-mails written as .eml files
under var/mail. With DEBUG=false the production settings are required and checked at start.
"""

import sys
from datetime import timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import dj_database_url
from csp.constants import NONE, SELF

from portal.env import (
    ImproperlyConfiguredEnv,
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_rate,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

try:
    DEBUG = env_bool("DEBUG", False)
    # Demo mode creates the demo logins and loads seeds/; never on a real deployment.
    DEMO_MODE = env_bool("DEMO_MODE", False)
    # The demo marketplace's stated average monthly active recipients (a round, invented figure).
    DEMO_ACTIVE_RECIPIENTS = 25_000
    PRODUCTION = not DEBUG
    if DEMO_MODE and PRODUCTION:
        # Demo mode switches the password validators off and lets load_seeds create logins whose
        # passwords are in the README; checked again by `check --deploy` (takedowns/checks.py).
        raise ImproperlyConfiguredEnv("DEMO_MODE=true is refused with DEBUG=false: demo mode turns the password "
                                      "validators off and creates demo logins with published passwords. "
                                      "Set DEMO_MODE=false in production (or DEBUG=true for a demo).")
    _needed = "required when DEBUG=false"

    SECRET_KEY = env_required("SECRET_KEY", _needed) if PRODUCTION else env_str(
        "SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
    if PRODUCTION and not ALLOWED_HOSTS:
        raise ImproperlyConfiguredEnv(f"ALLOWED_HOSTS must be set ({_needed}).")

    PORT = env_int("PORT", 8000, minimum=1)
    SITE_URL = (env_required("SITE_URL", _needed) if PRODUCTION else env_str("SITE_URL", f"http://127.0.0.1:{PORT}"))
    SITE_URL = SITE_URL.rstrip("/")
    if urlsplit(SITE_URL).scheme not in ("http", "https") or not urlsplit(SITE_URL).hostname:
        raise ImproperlyConfiguredEnv(f"SITE_URL={SITE_URL!r} must be an absolute http(s) URL.")

    _database_url = env_required("DATABASE_URL", _needed) if PRODUCTION else env_str(
        "DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
    )
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"DATABASE_URL is malformed: {exc}") from None

    REDIS_URL = env_str("REDIS_URL")
    CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
    if PRODUCTION and not CELERY_BROKER_URL:
        raise ImproperlyConfiguredEnv(f"REDIS_URL (or CELERY_BROKER_URL) must be set ({_needed}).")

    _email_url = env_required("EMAIL_URL", _needed) if PRODUCTION else env_str("EMAIL_URL", "file:")
    globals().update(email_settings(_email_url, VAR_DIR / "mail"))
    # Declared for the type checker: set just above when EMAIL_URL is file: (read by takedowns/mailfiles.py).
    EMAIL_FILE_PATH: str
    DEFAULT_FROM_EMAIL = (env_required("DEFAULT_FROM_EMAIL", _needed) if PRODUCTION
                          else env_str("DEFAULT_FROM_EMAIL", "Takedown Portal <takedowns@localhost>"))
    SERVER_EMAIL = DEFAULT_FROM_EMAIL

    # Policy knobs.
    NOTICE_CONFIRMATION_DAYS = env_int("NOTICE_CONFIRMATION_DAYS", 7, minimum=1)
    NOTICE_MAX_ITEMS = env_int("NOTICE_MAX_ITEMS", 200, minimum=50)
    EVIDENCE_MAX_FILE_BYTES = env_int("EVIDENCE_MAX_FILE_MB", 10, minimum=1) * 1024 * 1024
    EVIDENCE_MAX_TOTAL_BYTES = env_int("EVIDENCE_MAX_TOTAL_MB", 25, minimum=1) * 1024 * 1024
    EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10, minimum=1)
    # --- Request bodies and kept uploads (issue 10, item 6): what a hostile client can make us store. ---
    # A body larger than this is refused from its Content-Length alone, before anything reads it
    # (takedowns/middleware.py). By default one notice's evidence and its form fields: nothing larger can
    # be valid. It must carry at least one file of the largest size allowed, and the form with it.
    _evidence_max_file_mb = EVIDENCE_MAX_FILE_BYTES // (1024 * 1024)
    REQUEST_MAX_BODY_BYTES = env_int(
        "REQUEST_MAX_BODY_MB", max(EVIDENCE_MAX_TOTAL_BYTES // (1024 * 1024), _evidence_max_file_mb) + 3,
        minimum=_evidence_max_file_mb + 1) * 1024 * 1024
    # The form fields of one request (every field but the files): Django refuses more with a 400.
    DATA_UPLOAD_MAX_MEMORY_SIZE = 3 * 1024 * 1024
    # Files accepted on a notice form that was never filed are deleted this many hours after their upload.
    EVIDENCE_ORPHAN_HOURS = env_int("EVIDENCE_ORPHAN_HOURS", 6, minimum=1)
    INFO_REQUEST_DAYS = env_int("INFO_REQUEST_DAYS", 7, minimum=1)
    # Appeals (DSA Art. 20) are open this many calendar months after the decision, to the end of the
    # same date (legal.appeal_deadline); the law asks for at least six months.
    if env_str("APPEAL_WINDOW_DAYS") is not None:
        raise ImproperlyConfiguredEnv("APPEAL_WINDOW_DAYS is gone: the appeal window is counted in calendar months, "
                                      "set APPEAL_WINDOW_MONTHS (at least 6, DSA Art. 20).")
    APPEAL_WINDOW_MONTHS = env_int("APPEAL_WINDOW_MONTHS", 6)
    if APPEAL_WINDOW_MONTHS < 6:
        raise ImproperlyConfiguredEnv(f"APPEAL_WINDOW_MONTHS={APPEAL_WINDOW_MONTHS} must be at least 6: appeals stay "
                                      "open for at least six months (DSA Art. 20).")
    # DMCA 512(g)(2)(C): a complete counter-notice's listing is restored "not less than 10, nor more
    # than 14, business days following receipt of the counter notice" unless the rights holder reports
    # a lawsuit first: at the end of this many business days after the day of receipt (legal.py).
    # At most 13, so that the restore lands a whole business day before the 14th ends.
    COUNTER_NOTICE_RESTORE_BUSINESS_DAYS = env_int("COUNTER_NOTICE_RESTORE_BUSINESS_DAYS", 10)
    if not 10 <= COUNTER_NOTICE_RESTORE_BUSINESS_DAYS <= 13:
        raise ImproperlyConfiguredEnv(f"COUNTER_NOTICE_RESTORE_BUSINESS_DAYS={COUNTER_NOTICE_RESTORE_BUSINESS_DAYS} "
                                      "must be between 10 and 13 (DMCA 512(g)(2)(C): not less than 10 business "
                                      "days, and the restore done before the 14th ends).")
    # The time zone whose dates the 512(g) business days are (a US statute, a US calendar).
    COUNTER_NOTICE_TIME_ZONE = env_str("COUNTER_NOTICE_TIME_ZONE", "America/New_York")
    try:
        ZoneInfo(COUNTER_NOTICE_TIME_ZONE)
    except (ValueError, KeyError):
        raise ImproperlyConfiguredEnv(f"COUNTER_NOTICE_TIME_ZONE={COUNTER_NOTICE_TIME_ZONE!r} is not an IANA time "
                                      "zone name (e.g. America/New_York).") from None
    # Demo only: restore this many seconds after the check instead (0: off, the window above applies).
    COUNTER_NOTICE_WINDOW_SECONDS = env_int("COUNTER_NOTICE_WINDOW_SECONDS", 0)
    if COUNTER_NOTICE_WINDOW_SECONDS and PRODUCTION:
        raise ImproperlyConfiguredEnv("COUNTER_NOTICE_WINDOW_SECONDS shortens the legal restore window; "
                                      "it is for demos only (DEBUG=true).")
    # 512(g)(2)(C) counts US business days: the holidays are those of the US, or of a US state or territory
    # ("US-NY", the holidays library's subdivision codes: federal holidays plus the state's own).
    COUNTER_NOTICE_HOLIDAY_COUNTRY = env_str("COUNTER_NOTICE_HOLIDAY_COUNTRY", "US").upper()
    import holidays
    _us_country, _, _us_subdivision = COUNTER_NOTICE_HOLIDAY_COUNTRY.partition("-")
    if _us_country != "US" or (_us_subdivision and _us_subdivision not in holidays.US.subdivisions):
        raise ImproperlyConfiguredEnv(
            f"COUNTER_NOTICE_HOLIDAY_COUNTRY={COUNTER_NOTICE_HOLIDAY_COUNTRY!r} is not the US: the DMCA 512(g) "
            "restore window counts US business days; use US, or US-<state> for a state's holidays too (e.g. US-NY).")
    # The repeat-infringer ladder, strikes:level[:days] (takedowns/penalties.py); checked at start.
    PENALTY_LADDER = env_str("PENALTY_LADDER", "1:warning, 2:restriction:7, 3:suspension:30, 4:termination")
    STRIKE_EXPIRY_DAYS = env_int("STRIKE_EXPIRY_DAYS", 365, minimum=1)
    ROUTING_GRACE_SECONDS = env_int("ROUTING_GRACE_SECONDS", 60, minimum=1)
    # Issue 15: the routing task routes its notice with up to this many - 1 others waiting, in one transaction
    # (workflow/routing.route_with_waiting); 1 routes each notice alone.
    ROUTING_BATCH_SIZE = env_int("ROUTING_BATCH_SIZE", 50, minimum=1)
    # Other host names under which the local catalogue's listing URLs are recognised.
    MARKETPLACE_HOSTS = env_list("MARKETPLACE_HOSTS", [])
    # The marketplace's "listing created / changed" hook (issue 14, POST /marketplace/listings/): its servers send
    # this token as "Authorization: Bearer ..."; unset, the hook is off (404). The demo has a published one.
    MARKETPLACE_HOOK_TOKEN = env_str("MARKETPLACE_HOOK_TOKEN") or ("demo-marketplace-token" if DEMO_MODE else "")
    # The demo organisation's API key (issue 15): load_seeds gives "BrandGuard Services" (brandguard.example) one
    # key with this raw value, so that the README's curl example (`$DEMO_API_KEY`, printed by `make run`) works
    # against `make run`. Published, hence read only by load_seeds, which runs only with DEMO_MODE=true (and
    # workflow.organisations.add_known_key refuses outside demo mode): no production database holds it.
    DEMO_API_KEY = env_str("DEMO_API_KEY", "tdp_demo0001_BrandGuard-demo-key-for-make-run-only")
    if PRODUCTION and MARKETPLACE_HOOK_TOKEN and len(MARKETPLACE_HOOK_TOKEN) < 32:
        raise ImproperlyConfiguredEnv("MARKETPLACE_HOOK_TOKEN must be at least 32 characters (a random secret).")
    # The most listings one request to the hook may carry (a seller's catalogue, screened in the worker).
    MARKETPLACE_HOOK_MAX_LISTINGS = env_int("MARKETPLACE_HOOK_MAX_LISTINGS", 1000, minimum=1)
    # The marketplace's average monthly active recipients in the Union (DSA Art. 24(2)), as its operator
    # states it; the local catalogue has no visitors to count and reports this figure (unset: not stated).
    # The demo states one, so that its report shows where the figure goes.
    MARKETPLACE_ACTIVE_RECIPIENTS: int | None = (
        env_int("MARKETPLACE_ACTIVE_RECIPIENTS", 0) if env_str("MARKETPLACE_ACTIVE_RECIPIENTS") is not None
        else DEMO_ACTIVE_RECIPIENTS if DEMO_MODE else None)
    # Who publishes the transparency report (DSA Art. 15/24; Implementing Regulation (EU) 2024/2835).
    PROVIDER_NAME = env_str("PROVIDER_NAME", "Takedown Portal demo marketplace")
    SERVICE_NAME = env_str("SERVICE_NAME", "Marketplace")
    # An own-initiative case (listing screening held or blocked a listing, issue 14) has no notifier: its
    # submitter fields name the marketplace itself (the address is DEFAULT_FROM_EMAIL's, never written to).
    SCREENING_CASE_NAME = env_str("SCREENING_CASE_NAME", PROVIDER_NAME)
    SCREENING_CASE_COUNTRY = env_str("SCREENING_CASE_COUNTRY", "DE")
    # Listing screening's kill switch for an incident (issue 14): off, a new or changed listing is published as
    # it would be without screening and no Screening row is written (workflow/screening.publish_unscreened).
    SCREENING_ENABLED = env_bool("SCREENING_ENABLED", True)
    # The DSA Transparency Database API (Art. 24(5); takedowns/tdb_submission.py): statements are sent
    # only when both are set, e.g. https://transparency.dsa.ec.europa.eu and the platform's API token.
    TDB_API_URL = (env_str("TDB_API_URL") or "").rstrip("/")
    TDB_API_TOKEN = env_str("TDB_API_TOKEN") or ""
    if TDB_API_URL and urlsplit(TDB_API_URL).scheme not in ("http", "https"):
        raise ImproperlyConfiguredEnv(f"TDB_API_URL={TDB_API_URL!r} must be an absolute http(s) URL.")

    # --- Risk screening of notices (takedowns/risk.py; the rules themselves are data leads tune in the admin). ---
    # A notice's risk band: medium from this score, high (a designated reviewer, no fast path) from the next.
    RISK_MEDIUM_SCORE = env_int("RISK_MEDIUM_SCORE", 30, minimum=1)
    RISK_HIGH_SCORE = env_int("RISK_HIGH_SCORE", 60, minimum=1)
    if RISK_HIGH_SCORE <= RISK_MEDIUM_SCORE:
        raise ImproperlyConfiguredEnv(f"RISK_HIGH_SCORE={RISK_HIGH_SCORE} must be more than "
                                      f"RISK_MEDIUM_SCORE={RISK_MEDIUM_SCORE}.")
    # Free-mail domains: FREE_MAIL_DOMAINS below, shared with the notifier misuse ladder.

    # --- Notifier misuse (DSA Art. 23(2)-(4)): takedowns/notifier_ladder.py reads these, checks.py checks
    # them at start, README ("Notifier misuse") explains them and /policies/notifier-misuse/ publishes them. ---
    # A notifier is looked at when, over the listings decided in the last WINDOW_DAYS, at least MIN_COUNT
    # were rejected with a reason code a lead marked as manifestly unfounded, and at least
    # MIN_SHARE_PERCENT % of them were.
    NOTIFIER_MISUSE_WINDOW_DAYS = env_int("NOTIFIER_MISUSE_WINDOW_DAYS", 90, minimum=1)
    NOTIFIER_MISUSE_MIN_COUNT = env_int("NOTIFIER_MISUSE_MIN_COUNT", 10, minimum=1)
    NOTIFIER_MISUSE_MIN_SHARE_PERCENT = env_int("NOTIFIER_MISUSE_MIN_SHARE_PERCENT", 50, minimum=1)
    if NOTIFIER_MISUSE_MIN_SHARE_PERCENT > 100:
        raise ImproperlyConfiguredEnv(f"NOTIFIER_MISUSE_MIN_SHARE_PERCENT={NOTIFIER_MISUSE_MIN_SHARE_PERCENT} must "
                                      "be at most 100 (a share of the listings decided, in per cent).")
    # The measures, measure:level[:days], the nth measure of a notifier; checked at start.
    NOTIFIER_MISUSE_LADDER = env_str("NOTIFIER_MISUSE_LADDER", "1:warning, 2:suspension:30, 3:suspension:90")
    # A measure counts towards the next step for this many days (one reversed on appeal never does).
    NOTIFIER_MEASURE_EXPIRY_DAYS = env_int("NOTIFIER_MEASURE_EXPIRY_DAYS", 365, minimum=1)
    # Domains anyone can have an address at: never looked at as an organisation (the misuse ladder), and
    # an organisation writing from one is not shown to be it (risk screening's free_mail_company rule).
    FREE_MAIL_DOMAINS = [domain.lower() for domain in env_list("FREE_MAIL_DOMAINS", [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "outlook.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "live.com", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "gmx.de", "gmx.net", "gmx.com", "gmx.at", "web.de", "t-online.de", "freenet.de",
        "mail.ru", "yandex.ru", "yandex.com", "proton.me", "protonmail.com", "tutanota.com", "zoho.com", "mail.com",
        "qq.com", "163.com", "126.com", "sina.com", "libero.it", "orange.fr", "laposte.net", "free.fr", "wp.pl",
        "o2.pl", "seznam.cz"])]

    # --- Retention of personal data: takedowns/workflow/retention.py applies it (beat, hourly); the
    # README ("Retention of personal data") gives the reasons for these defaults and /privacy/ tells the public. ---
    # An unconfirmed notice was never received (its address was never proven): deleted this many days
    # after filing. Longer than the confirmation window, so no notice that can still be confirmed goes.
    RETENTION_UNCONFIRMED_DAYS = env_int("RETENTION_UNCONFIRMED_DAYS", 30, minimum=1)
    if RETENTION_UNCONFIRMED_DAYS <= NOTICE_CONFIRMATION_DAYS:
        raise ImproperlyConfiguredEnv(
            f"RETENTION_UNCONFIRMED_DAYS={RETENTION_UNCONFIRMED_DAYS} must be more than NOTICE_CONFIRMATION_DAYS="
            f"{NOTICE_CONFIRMATION_DAYS}: a notice that can still be confirmed is not deleted.")
    # A closed case's personal data is anonymised this many years after its last step (closing, or a
    # later counter-notice, restore or appeal): past the appeal window and the limitation periods of claims.
    RETENTION_CASE_YEARS = env_int("RETENTION_CASE_YEARS", 6, minimum=1)
    if RETENTION_CASE_YEARS * 12 < APPEAL_WINDOW_MONTHS:
        raise ImproperlyConfiguredEnv(
            f"RETENTION_CASE_YEARS={RETENTION_CASE_YEARS} must cover APPEAL_WINDOW_MONTHS={APPEAL_WINDOW_MONTHS}: "
            "a case is kept whole while it can still be appealed (DSA Art. 20).")
    # Where people send requests about their personal data (access, correction, erasure); on /privacy/.
    PRIVACY_CONTACT = env_str("PRIVACY_CONTACT", DEFAULT_FROM_EMAIL)

    # --- Rate limits (issue 11; takedowns/limits.py applies them, the README's "Rate limits" explains
    # them). Each public step, per client address and per e-mail address (the log-in: per user name), as
    # a count per period ("20/h": twenty an hour). A request over a limit gets its page again, with
    # everything typed kept, status 429 and when to try again. ---
    RATE_LIMITS = {
        action: {"address": env_rate(f"RATE_LIMIT_{action.upper()}_ADDRESS", address),
                 "email": env_rate(f"RATE_LIMIT_{action.upper()}_EMAIL", email)}
        for action, address, email in (
            ("filing", "20/h", "10/h"),
            ("confirmation", "60/h", "30/h"),
            ("answer", "30/h", "30/h"),
            ("appeal", "60/h", "60/h"),  # one appeal per decided listing: a notice may have many
            ("counter_notice", "30/h", "30/h"),
            ("lawsuit", "30/h", "30/h"),
            ("login", "30/15m", "10/15m"),  # "email": the user name typed
            ("registration", "20/h", "10/h"),  # a right's registration form and its changes (issue 14)
            # an organisation's registration form and its private page's changes (keys, endpoints; issue 15)
            ("organisation", "20/h", "10/h"),
        )
    }
    # An e-mail address with this many notices waiting for confirmation (unconfirmed, not yet expired) is
    # sent no more confirmation e-mails: a new notice for it is refused until one is confirmed or expires.
    RATE_LIMIT_PENDING_CONFIRMATIONS = env_int("RATE_LIMIT_PENDING_CONFIRMATIONS", 5, minimum=1)
    # Submitters whose standing is higher (takedowns/trust.py) get their limits multiplied by these.
    RATE_LIMIT_GOOD_FAITH_FACTOR = env_int("RATE_LIMIT_GOOD_FAITH_FACTOR", 5, minimum=1)
    RATE_LIMIT_TRUSTED_FLAGGER_FACTOR = env_int("RATE_LIMIT_TRUSTED_FLAGGER_FACTOR", 20, minimum=1)
except ImproperlyConfiguredEnv as exc:
    sys.exit(f"Configuration error: {exc}")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # web, worker and beat share one SQLite file: WAL lets readers run beside the writer and
    # IMMEDIATE transactions queue writers instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    VAR_DIR.mkdir(parents=True, exist_ok=True)

# The queue-counts index carries its counted columns on PostgreSQL (index-only scan); SQLite, the
# local default, keeps the index without them, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Shared by the web processes and the worker: the queue's counts are computed by a beat task
# and read by every page view (takedowns/selectors/queue.py). Locally, files under var/cache.
CACHES: dict[str, dict[str, object]] = {"default": (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "takedowns"}
    if REDIS_URL else
    {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")})}
# The rate limits' counters (takedowns/limits.py, through django-ratelimit) need an atomic increment that
# every web process shares: Redis (INCR). Without Redis (`make run`) the web is one process (runserver,
# threads), so its own memory counts for all its requests (LocMemCache increments under a lock); a file
# cache would not do: its increment is a read and a write, and two requests at once count as one.
# (takedowns/counting.py: Django's Redis cache, its increment one atomic step.)
CACHES["limits"] = (
    {**CACHES["default"], "BACKEND": "takedowns.counting.CounterCache", "KEY_PREFIX": "takedowns-limits"}
    if REDIS_URL else
    {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate-limits"})
RATELIMIT_USE_CACHE = "limits"
RATELIMIT_CACHE_PREFIX = "rl:"
# A counter the cache could not read or write does not refuse the request (fail open: takedowns/limits.py).
RATELIMIT_FAIL_OPEN = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "takedowns",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (the CSRF check reads the form): refuses one too large (issue 10).
    "takedowns.middleware.RequestSizeLimit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: the visitor's choice (the language cookie the switcher sets), else the
    # browser's Accept-Language, else LANGUAGE_CODE. After sessions, before CommonMiddleware (Django's order).
    "django.middleware.locale.LocaleMiddleware",
    # ...except in the staff area, which stays in STAFF_LANGUAGE (below).
    "takedowns.middleware.StaffLanguage",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",  # LANGUAGE_CODE for <html lang>, LANGUAGES
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [] if DEMO_MODE else [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Languages (issue 13). The public pages and e-mails in the six languages the notice form offers
# (takedowns.enums.Language: the same codes, each named in its own language). ---
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("zh-hans", "中文"),  # Simplified Chinese; Django maps a browser's zh-CN and zh-SG to it
]
# The catalogues: locale/<lang>/LC_MESSAGES/django.po, compiled to .mo by `manage.py compile_translations`
# (Babel, no GNU gettext needed; `make run` and `make test` do it). README, "Translations".
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice. A preference the visitor asked for, kept only in their browser (no consent needed:
# a user-interface cookie, ePrivacy Directive Art. 5(3)); a year, so a returning visitor keeps it.
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True  # no script of ours reads it
LANGUAGE_COOKIE_SECURE = PRODUCTION
# The staff area (every path under /review/ and /admin/) is in this language whatever the visitor chose
# (takedowns.middleware.StaffLanguage): reviewers share one vocabulary for decisions, reason codes and the
# notes they leave each other. Its strings are marked for translation too, but kept out of the shipped
# catalogues (Makefile, STAFF_ONLY): a lead adds a staff language by extracting and translating them
# (`make messages-staff LANGUAGE=xx`) and setting STAFF_LANGUAGE to a code of LANGUAGES.
STAFF_LANGUAGE = env_str("STAFF_LANGUAGE", "en")
if STAFF_LANGUAGE not in dict(LANGUAGES):
    sys.exit(f"Configuration error: STAFF_LANGUAGE={STAFF_LANGUAGE!r} is none of LANGUAGES "
             f"({', '.join(dict(LANGUAGES))}).")
TIME_ZONE = "UTC"
USE_I18N = True
# English dates as the portal writes them ("5 December 2026, 14:00"), on a 24-hour clock; templates name the
# time zone after a time. Other languages keep Django's formats (portal/formats).
FORMAT_MODULE_PATH = ["portal.formats"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    # Evidence lives outside the web root and is never served by URL; reviewers get it
    # through an access-checked view.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "evidence")}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Large uploads spill to disk instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

# --- Security headers (issue 10, item 9): Content-Security-Policy and Permissions-Policy. ---
# Enforced, not report-only, on every response, the admin included: scripts and styles load only
# from /static/ (ours, Bootstrap's and the admin's); no page has an inline script, an event handler
# attribute or a style attribute, and tests/views/test_security_headers.py keeps it so for templates/.
# - img-src allows data: because Bootstrap's CSS draws its icons (select arrows, check marks, the
#   accordion's chevron) as data: SVG images; an image cannot run script.
# - Django's admin (6.x) has no inline script; its one inline <style> (a change list whose admin
#   turns both action bars off, which none of ours does) would need a nonce, so none is offered.
# - django-csp leaves the header off 404 and 500 responses when DEBUG=true (Django's debug pages are
#   inline script and style); with DEBUG=false every response has it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features the portal never uses, disabled for it and for anything it might embed.
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in (
    "accelerometer", "autoplay", "bluetooth", "browsing-topics", "camera", "display-capture", "encrypted-media",
    "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone", "midi", "payment",
    "picture-in-picture", "screen-wake-lock", "serial", "usb", "xr-spatial-tracking",
)}
# Right after SecurityMiddleware, before WhiteNoise answers for /static/: every response gets both.
_after_security = MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
MIDDLEWARE[_after_security:_after_security] = [
    "csp.middleware.CSPMiddleware", "django_permissions_policy.PermissionsPolicyMiddleware"]

# --- Celery: configured so that no work is lost (see portal/celery.py for why). ---
if not CELERY_BROKER_URL:
    # No Redis on a laptop: a broker in files under var/broker that worker and beat share,
    # so tasks still run asynchronously in a real worker process.
    CELERY_BROKER_URL = "filesystem://localhost/"
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A message not acknowledged within this time is handed to another worker; it must be
    # longer than the longest task (hard limit below) or a slow task would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "takedowns")
# Without this Celery opens a new database connection for every task (a third of routing's cost).
CELERY_DB_REUSE_MAX = 500
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # A notice whose routing message a killed worker held (unacknowledged: Redis hands it back only after
    # the visibility timeout, an hour) is routed by this sweep: within ROUTING_GRACE_SECONDS + 20 s.
    "sweep-unrouted-notices": {"task": "takedowns.tasks.sweep_unrouted", "schedule": 20.0,
                               "options": {"expires": 20}},
    "expire-unconfirmed-notices": {"task": "takedowns.tasks.expire_unconfirmed", "schedule": 3600.0},
    "expire-unconfirmed-rights": {"task": "takedowns.tasks.expire_unconfirmed_rights", "schedule": 3600.0},
    # Organisations' registrations never confirmed from an address at their domain (issue 15).
    "expire-unconfirmed-organisations": {"task": "takedowns.tasks.expire_unconfirmed_organisations",
                                         "schedule": 3600.0},
    # Notices routing left in review with no listing to decide before it closed them itself (issue 12).
    "close-undecidable-notices": {"task": "takedowns.tasks.close_undecidable_notices", "schedule": 3600.0},
    # Uploads of forms never filed (EVIDENCE_ORPHAN_HOURS): often, so that they go within the hour after.
    "sweep-orphan-evidence": {"task": "takedowns.tasks.sweep_orphan_evidence", "schedule": 900.0},
    "expire-information-requests": {"task": "takedowns.tasks.expire_information_requests", "schedule": 900.0},
    # Often enough that a one-minute demo target warns and breaches while a person watches.
    "process-sla-clocks": {"task": "takedowns.tasks.process_sla_clocks", "schedule": 20.0},
    "expire-strikes": {"task": "takedowns.tasks.expire_strikes", "schedule": 3600.0},
    "restore-counter-noticed-listings": {"task": "takedowns.tasks.restore_counter_noticed_listings",
                                         "schedule": 60.0},
    "refresh-queue-counts": {"task": "takedowns.tasks.refresh_queue_counts", "schedule": 15.0},
    "refresh-transparency-reports": {"task": "takedowns.tasks.refresh_transparency_reports", "schedule": 600.0},
    # Statements of reasons to the DSA Transparency Database (does nothing while TDB_API_URL is unset).
    "submit-tdb-statements": {"task": "takedowns.tasks.submit_tdb_statements", "schedule": 300.0},
    # The dashboard reads what came after the roll-up's mark live, so this only sets how much that is.
    "refresh-clock-rollup": {"task": "takedowns.tasks.refresh_clock_rollup", "schedule": 300.0},
    # Retention (see RETENTION_* above): hourly, a bounded batch per run, so a backlog drains in steps.
    "apply-retention": {"task": "takedowns.tasks.apply_retention", "schedule": 3600.0},
    # Notifiers whose notices crossed the misuse threshold are proposed to the leads (a lead decides).
    "raise-notifier-proposals": {"task": "takedowns.tasks.raise_notifier_proposals", "schedule": 600.0},
}

# --- Faults: a broker, cache or database that goes away (issue 10). ---
# Work the domain asks for is recorded in the database first (takedowns/dispatch.py), so a
# publish that fails loses nothing: it must only fail fast and quietly. A broker that refuses
# connections fails a publish in milliseconds, one that does not answer within about two seconds;
# the relay (beat, every 5 s) publishes what the web processes could not.
# One reconnection (a pooled connection may be stale after a broker restart), then give up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.update({"socket_connect_timeout": 1, "socket_timeout": 2})
if REDIS_URL:
    # The cache: every read of it has a fallback (the queue's counts are counted live, the SLA
    # policies read from the database), which must not wait long for a server that is gone.
    # The rate limits' counters fail open (takedowns/limits.py), and as fast.
    for _alias in ("default", "limits"):
        CACHES[_alias]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
CELERY_BEAT_SCHEDULE.update({
    # Short expiry: relays queued while no worker ran are dropped, not run one after another.
    "relay-task-dispatches": {"task": "takedowns.tasks.relay_dispatches", "schedule": 5.0,
                              "options": {"expires": 10}},
    "prune-task-dispatches": {"task": "takedowns.tasks.prune_dispatches", "schedule": 3600.0},
    # A send claim abandoned by a killed worker is free again after outbox.SEND_LEASE (a minute):
    # swept twice a minute, its e-mail goes out within two minutes of the worker's return.
    "sweep-unsent-emails": {"task": "takedowns.tasks.sweep_unsent_emails", "schedule": 30.0,
                            "options": {"expires": 30}},
})

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Log-in: one login page, throttled (django-axes), with a second factor (django-otp). ---
# Reviewers and leads log in at /review/login/; /admin/login/ sends there too. Who may open which
# page, the admin included, is decided in takedowns/access.py.
LOGIN_URL = "/review/login/"
try:
    # Locked out after this many failed log-ins for one user name, or from one client address...
    LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
    # ...for this long after the last failure (a lead can unlock sooner in the admin).
    LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
    # Behind a reverse proxy: the header it sets to the client's address (X-Forwarded-For: its
    # right-most entry, the one the proxy added; X-Real-IP). Empty: the connection's own address.
    CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")
    # Leads always need a second factor outside demo mode; reviewers too when this is true.
    TWO_FACTOR_FOR_REVIEWERS = env_bool("TWO_FACTOR_FOR_REVIEWERS", False)
except ImproperlyConfiguredEnv as exc:
    sys.exit(f"Configuration error: {exc}")
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "takedowns.apps.LeadAdminConfig"
INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static"]
# OTPMiddleware marks a session that gave its code (request.user.is_verified()); AxesMiddleware turns
# a lockout into the login page with its message, so it comes last.
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
# AxesStandaloneBackend refuses a locked-out log-in before the password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Failures are rows in the database (web processes share them; no cache or Redis needed).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one reaching the limit locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "takedowns.access.client_ip"
AXES_LOCKOUT_CALLABLE = "takedowns.views.accounts.locked_out"
# Never kept in the admin's record of failed attempts.
AXES_SENSITIVE_PARAMETERS = ["password", "csrfmiddlewaretoken", "code"]
# The authenticator app shows this name; the admin never shows a device's key or recovery codes.
OTP_TOTP_ISSUER = "Takedown Portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Failures and lock-outs are logged as warnings; a line for every successful log-in is noise.
cast(dict, LOGGING["loggers"])["axes"] = {"level": "WARNING"}

# --- issue 15: the API (takedowns/api/) ---
try:
    # A notice filed through the API may report this many listings (the web form: NOTICE_MAX_ITEMS).
    NOTICE_API_MAX_ITEMS = env_int("NOTICE_API_MAX_ITEMS", 10_000, minimum=1)
    # The API's rate limits, per key (takedowns/limits.check_key): filing notices, uploading evidence, the
    # other steps on a notice (withdraw, answer, appeal), and reads. Generous: a professional notifier's honest
    # volume is high, and a notice carries up to NOTICE_API_MAX_ITEMS listings.
    RATE_LIMITS_API = {
        action: env_rate(f"RATE_LIMIT_{action.upper()}_KEY", rate)
        for action, rate in (("api_filing", "120/m"), ("api_upload", "120/m"), ("api_action", "120/m"),
                             ("api_read", "600/m"))
    }
except ImproperlyConfiguredEnv as exc:
    sys.exit(f"Configuration error: {exc}")
# ninja's app: its bundled Swagger UI (static/ninja/), served from our own static files (no CDN), which the
# site's CSP allows (the docs page's settings are a JSON block, its script a file).
INSTALLED_APPS += ["ninja"]

# --- issue 15: webhooks ---
# Retries of webhook deliveries fall due on their own schedule (webhooks.backoff: 10 s, 30 s, 1 min …);
# this sweep posts them, and those whose task or worker was lost (webhooks.FIRST_TRY_GRACE, LEASE).
# Expiry: a busy worker runs a late sweep rather than none (each hands a delivery out once a minute).
CELERY_BEAT_SCHEDULE["sweep-webhooks"] = {"task": "takedowns.tasks.sweep_webhooks", "schedule": 5.0,
                                          "options": {"expires": 30}}

# --- Issue 15: CSV uploads on an organisation's private page (takedowns/workflow/uploads.py). ---
try:
    # Data rows one file may carry (the header not counted): a notice carries at most this many listings too.
    CSV_UPLOAD_MAX_ROWS = env_int("CSV_UPLOAD_MAX_ROWS", 10000, minimum=100)
    # A file's size: 10,000 rows of long addresses fit in about 3 MB; more is no CSV of ours.
    CSV_UPLOAD_MAX_BYTES = env_int("CSV_UPLOAD_MAX_MB", 5, minimum=1) * 1024 * 1024
except ImproperlyConfiguredEnv as exc:
    sys.exit(f"Configuration error: {exc}")
CELERY_BEAT_SCHEDULE.update({
    # An upload whose checking or filing task was lost (a killed worker) is asked for again
    # (workflow.uploads.STALLED after its last progress).
    "resume-stalled-uploads": {"task": "takedowns.tasks.resume_stalled_uploads", "schedule": 60.0,
                               "options": {"expires": 60}},
})
