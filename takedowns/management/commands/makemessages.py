"""Django's makemessages with the project's one list of what is not extracted (`make messages`, and the test
that the catalogues are current, tests/test_translations.py, both run this). Needs GNU gettext (xgettext,
msgmerge): a developer's tool; compiling (compile_translations) does not need it.

The staff area stays in STAFF_LANGUAGE (portal/settings.py): its strings are marked for translation but kept
out of the catalogues we ship, so translators spend no time on them and no test asks for them. `--staff`
extracts them too, for a lead adding a staff language (`make messages-staff LANGUAGE=xx`)."""

from typing import Any

from django.core.management.commands import makemessages

# Not the site's source: environments, generated files, tools and tests.
NOT_SOURCE = [".venv", "var", "staticfiles", "bench", "tests", "node_modules", "test-artifacts"]

# Seen only by reviewers and leads: the pages under /review/ and /admin/ and the e-mails to staff (their
# recipients checked in takedowns/emails.py: a reviewer's or a lead's user address). A template shared with
# public pages (e.g. takedowns/_clock_state.html, on the tracking page) is not listed.
STAFF_ONLY = [
    "templates/takedowns/review/*",
    "templates/takedowns/dashboard/*",
    "templates/takedowns/appeals/appeal.html",
    "templates/takedowns/appeals/queue.html",
    "templates/takedowns/notifiers/appeal.html",
    "templates/takedowns/notifiers/cases.html",
    "templates/takedowns/notifiers/proposal.html",
    "templates/takedowns/notifiers/_history.html",
    "templates/takedowns/registry/review_rights.html",
    "templates/takedowns/registry/review_right.html",
    "templates/emails/right_to_verify.*",
    "templates/takedowns/organisations/review_organisations.html",  # issue 15: the leads' verification
    "templates/takedowns/organisations/review_organisation.html",
    "templates/emails/organisation_to_verify.*",
    *(f"templates/emails/{kind}.*" for kind in (
        "new_assignment", "information_answered", "resubmission_to_review", "high_risk_waiting", "clock_warning",
        "clock_breached", "escalation", "counter_notice_window_missed_staff", "counter_notice_lawsuit_staff",
        "notifier_appeal_to_leads", "notifier_proposal_raised")),
    *(f"takedowns/views/{name}.py" for name in ("review", "dashboard", "counter_notices", "accounts", "tdb",
                                                 "reconnect")),
    *(f"takedowns/forms/{name}.py" for name in ("review", "leads", "accounts")),
    "takedowns/admin.py",
    "takedowns/two_factor.py",  # the staff log-in's second factor
    "takedowns/views/screening.py",  # the Screening queue (issue 14); its template is under review/
    "takedowns/selectors/screening_queue.py",
    "takedowns/views/referrals.py",  # issue 14: referral packages for law enforcement, leads only
    "takedowns/forms/referrals.py",
]


class Command(makemessages.Command):
    help = makemessages.Command.help + " Leaves out tests, tools and the staff area's strings (unless --staff)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--staff", action="store_true",
                            help="Extract the staff area's strings too (a lead adding a staff language).")

    def handle(self, *args: Any, **options: Any) -> None:
        options["ignore_patterns"] = [*options["ignore_patterns"], *NOT_SOURCE,
                                      *([] if options["staff"] else STAFF_ONLY)]
        super().handle(*args, **options)
