"""workflow/retention.py: what a run deletes and blanks, exactly; that a run before the deadline does
nothing; that two runs act once; that every figure reads the same after a run; which cases and records
are kept; and the settings that set the periods (checked at start)."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from takedowns import legal, tasks, tdb
from takedowns.enums import EventKind, NoticeStatus, SubmitterTrust
from takedowns.evidence import store
from takedowns.models import (
    Appeal,
    ClockBreachesDay,
    ClockDurationsDay,
    CounterNotice,
    Decision,
    Event,
    Evidence,
    InfoRequest,
    Listing,
    Notice,
    NoticeItem,
    OutboundEmail,
    Penalty,
    Reviewer,
    Seller,
    SlaClock,
    Strike,
    Submitter,
)
from takedowns.reports import clock_rollup, dashboard, transparency
from takedowns.reports.periods import Period
from takedowns.selectors import queue
from takedowns.workflow import appeals, counter_notices, filing, retention
from takedowns.workflow.retention import apply_retention
from tests import factories
from tests.commands import PRODUCTION, run_manage

pytestmark = pytest.mark.django_db

NOTHING = {"unconfirmed_deleted": 0, "cases_anonymised": 0, "submitters_deleted": 0, "emails_deleted": 0,
           "notifier_cases_anonymised": 0, "uploads_deleted": 0, "organisations_deleted": 0,
           "idempotency_keys_deleted": 0}
# The defaults: 30 days for an unconfirmed notice, 6 years after a case's last step.
DUE = factories.CASE_LAST_STEP.replace(year=factories.CASE_LAST_STEP.year + 6)
SECOND = timedelta(seconds=1)
MODELS = [Notice, NoticeItem, Evidence, InfoRequest, Decision, CounterNotice, Appeal, Event, OutboundEmail,
          Submitter, Strike, Penalty, SlaClock, Seller, Listing, Reviewer]


def everything() -> dict[str, list[dict]]:
    """Every row a case is made of (and the catalogue and reviewers beside it), as plain values."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


@pytest.fixture
def case(bright, reviewers, checker, other_reviewer):
    return factories.case_with_everything(checker, other_reviewer)


def test_the_defaults_are_thirty_days_and_six_years():
    assert (settings.RETENTION_UNCONFIRMED_DAYS, settings.RETENTION_CASE_YEARS) == (30, 6)
    assert legal.case_anonymisation_cutoff(DUE) == factories.CASE_LAST_STEP


# --- A closed case. ---

def test_a_run_before_the_deadline_changes_nothing(case):
    before = everything()
    first_mail = factories.CASE_FILED_AT.replace(year=factories.CASE_FILED_AT.year + 6)
    assert apply_retention(first_mail - SECOND) == NOTHING
    assert everything() == before


def test_mail_no_notice_holds_goes_six_years_after_it_was_sent_the_case_six_years_after_its_last_step(case):
    """Each on its own clock: a claim about an e-mail runs from the day it was sent."""
    before = everything()
    assert apply_retention(DUE - SECOND) == {**NOTHING, "emails_deleted": 10}
    after = everything()
    assert [row["kind"] for row in after["OutboundEmail"] if row["notice_id"] is None] == [
        "counter_notice_restored_seller"]  # sent on the case's last step
    assert {name: rows for name, rows in after.items() if name != "OutboundEmail"} == {
        name: rows for name, rows in before.items() if name != "OutboundEmail"}


def _expected_after(before: dict[str, list[dict]], notice: Notice) -> dict[str, list[dict]]:
    """`before` as a run at DUE leaves it: the personal data blanked, the rows kept, the mail that no
    notice holds, the evidence and the submitter's record deleted."""
    expected = copy.deepcopy(before)
    expected["Notice"] = [{**row, "submitter_name": "", "submitter_organisation": "", "submitter_email": "",
                           "submitter_address": "", "submitter_phone": "",
                           "signature": "", "right_owner": "", "description": "", "submitter_id": None,
                           "anonymised_at": DUE} for row in before["Notice"]]
    expected["Evidence"] = []
    expected["InfoRequest"] = [{**row, "message": "", "answer": ""} for row in before["InfoRequest"]]
    expected["Decision"] = [{**row, "note": "", "explanation": ""} for row in before["Decision"]]
    expected["CounterNotice"] = [{**row, "full_name": "", "address": "", "phone": "", "email": "", "signature": "",
                                  "material": "", "explanation": "", "incomplete_reason": "", "lawsuit_details": ""}
                                 for row in before["CounterNotice"]]
    expected["Appeal"] = [{**row, "text": "", "reasons": ""} for row in before["Appeal"]]
    expected["OutboundEmail"] = [{**row, "to": "", "body_text": "", "body_html": "", "last_error": ""}
                                 for row in before["OutboundEmail"] if row["notice_id"] == notice.pk]
    expected["NoticeItem"] = [{**row, "listing_snapshot": {**row["listing_snapshot"], "seller_name": ""}}
                              for row in before["NoticeItem"]]
    free_text = {EventKind.ITEM_DECIDED: "note", EventKind.ESCALATED: "note",
                 EventKind.COUNTER_NOTICE_INCOMPLETE: "reason"}
    expected["Event"] = [{**row, "details": {**row["details"], free_text[row["kind"]]: ""}}
                         if row["kind"] in free_text else row for row in before["Event"]]
    expected["Submitter"] = []
    return expected


def test_a_run_after_the_deadline_blanks_the_personal_data_and_keeps_the_rows(case):
    before = everything()
    files = [row["file"] for row in before["Evidence"]]
    # What is about to go is there: names, texts, files, mail to the seller and to staff.
    assert [row["submitter_name"] for row in before["Notice"]] == ["Anna Berger"]
    assert len(files) == 2 and all(default_storage.exists(name) for name in files)
    assert all(row["note"] and row["explanation"] for row in before["Decision"] if row["outcome"] == "remove")
    assert {row["to"] for row in before["OutboundEmail"] if row["notice_id"] is None} == {
        "tm@portal.test", "bright@sellers.example", "li.wei@bright.example"}
    assert [e.details["reason"] for e in Event.objects.filter(kind=EventKind.COUNTER_NOTICE_INCOMPLETE)] == [
        "Li Wei, your telephone number lacks a digit."]

    assert apply_retention(DUE) == {**NOTHING, "cases_anonymised": 1, "submitters_deleted": 1, "emails_deleted": 11}
    assert everything() == _expected_after(before, case)
    assert not any(default_storage.exists(name) for name in files)


def six_years_after_the_last_step(notice: Notice) -> datetime:
    last = notice.events.order_by("-created_at")[0].created_at
    return last.replace(year=last.year + 6)


def test_a_reported_lawsuit_loses_its_words_too(waiting_counter_notice):
    notice = waiting_counter_notice.decision.item.notice
    counter_notices.report_lawsuit(notice, waiting_counter_notice, "Case 2:25-cv-0101, Anna Berger v. Li Wei",
                                   factories.ACCEPTED_AT + timedelta(days=2))
    due = six_years_after_the_last_step(notice)
    assert apply_retention(due - SECOND)["cases_anonymised"] == 0
    assert apply_retention(due)["cases_anonymised"] == 1
    assert CounterNotice.objects.get().lawsuit_details == ""
    assert Event.objects.get(kind=EventKind.LAWSUIT_REPORTED).details == {
        "counter_notice": waiting_counter_notice.pk, "decision": waiting_counter_notice.decision_id,
        "listing": "L-100003", "details": ""}


def test_two_runs_act_once(case):
    first = apply_retention(DUE)
    after_first = everything()
    assert first["cases_anonymised"] == 1
    assert apply_retention(DUE + SECOND) == NOTHING
    assert everything() == after_first


def test_a_run_that_read_its_batch_before_another_claimed_it_acts_on_nothing(case, now):
    """Two overlapping runs read the same due rows; the conditional UPDATE lets only the first act."""
    unconfirmed = factories.file_notice(factories.CASE_FILED_AT)
    case_cutoff = legal.case_anonymisation_cutoff(DUE)
    unconfirmed_cutoff = legal.unconfirmed_deletion_cutoff(DUE)
    assert retention._anonymise_case(case.pk, case_cutoff, DUE) is True
    assert retention._delete_unconfirmed(unconfirmed.pk, unconfirmed_cutoff, DUE) is True
    after_first = everything()
    assert retention._anonymise_case(case.pk, case_cutoff, DUE + SECOND) is False
    assert retention._delete_unconfirmed(unconfirmed.pk, unconfirmed_cutoff, DUE + SECOND) is False
    assert everything() == after_first
    assert Notice.objects.get(pk=case.pk).anonymised_at == DUE


# --- What keeps a case whole. ---

def test_an_open_appeal_keeps_the_case_until_it_is_decided(bright, reviewers, other_reviewer):
    removal = factories.taken_down(factories.CASE_FILED_AT, "L-100003", by=reviewers["tm"])
    appeal = appeals.file_appeal(decision=removal, appellant="seller", text="Genuine, Li Wei.",
                                           now=factories.CASE_FILED_AT + timedelta(days=1))
    years_later = six_years_after_the_last_step(removal.item.notice).replace(year=2040)
    assert apply_retention(years_later)["cases_anonymised"] == 0
    decided_at = years_later - timedelta(days=30)
    appeals.decide_appeal(appeal, other_reviewer, "upheld", "The removal stands, Mr Li.", decided_at)
    # Deciding it is the case's last step: six years from then.
    assert apply_retention(years_later)["cases_anonymised"] == 0
    assert apply_retention(decided_at.replace(year=decided_at.year + 6))["cases_anonymised"] == 1
    assert Appeal.objects.get().text == ""


def test_a_counter_notice_waiting_for_its_restore_keeps_the_case(waiting_counter_notice):
    assert apply_retention(datetime(2040, 1, 1, tzinfo=UTC))["cases_anonymised"] == 0
    assert CounterNotice.objects.get().full_name == "Li Wei"


def test_an_open_case_is_never_anonymised(catalogue, reviewers):
    notice = factories.routed(factories.CASE_FILED_AT)
    before = everything()["Notice"]
    assert apply_retention(datetime(2040, 1, 1, tzinfo=UTC)) == {**NOTHING, "emails_deleted": 1}  # tm's
    assert everything()["Notice"] == before and before[0]["submitter_name"] == notice.submitter_name


def test_a_withdrawn_case_is_anonymised_six_years_after_its_withdrawal(catalogue, reviewers):
    notice = factories.routed(factories.CASE_FILED_AT)
    withdrawn_at = factories.CASE_FILED_AT + timedelta(hours=2)
    filing.withdraw_notice(notice, withdrawn_at)
    assert six_years_after_the_last_step(notice) == withdrawn_at.replace(year=2031)
    assert apply_retention(withdrawn_at.replace(year=2031) - SECOND)["cases_anonymised"] == 0
    assert apply_retention(withdrawn_at.replace(year=2031))["cases_anonymised"] == 1
    assert Notice.objects.get().status == NoticeStatus.WITHDRAWN


def test_after_anonymisation_a_counter_notice_is_refused_with_the_reason(bright, reviewers):
    removal = factories.taken_down(factories.CASE_FILED_AT, "L-100003", by=reviewers["tm"])
    assert legal.counter_notice_refusal(removal) == ""
    assert apply_retention(six_years_after_the_last_step(removal.item.notice))["cases_anonymised"] == 1
    removal = factories.decision_of(removal.item.notice)
    assert legal.counter_notice_refusal(removal) == (
        "The case behind the removal of listing L-100003 ended years ago and its personal data was deleted under "
        "our retention policy, so a counter-notice can no longer reach the rights holder. Please contact the "
        "marketplace's seller support.")


# --- Unconfirmed notices. ---

def test_an_unconfirmed_notice_is_deleted_thirty_days_after_filing_with_its_files(catalogue, reviewers):
    filed_at = factories.CASE_FILED_AT
    expired = factories.file_notice(filed_at)
    evidence = store(expired.submission_key, "other", factories.upload("x.pdf", factories.PDF_BYTES),
                     "application/pdf", notice=expired)
    filing.expire_unconfirmed(filed_at + timedelta(days=8))  # one expired by beat, one it never reached
    never_expired = factories.file_notice(filed_at)
    later = factories.file_notice(filed_at + timedelta(days=1))
    confirmed = factories.confirmed(filed_at)
    assert Notice.objects.get(pk=expired.pk).status == NoticeStatus.EXPIRED
    before = everything()
    assert apply_retention(filed_at + timedelta(days=30) - SECOND) == NOTHING
    assert everything() == before

    assert apply_retention(filed_at + timedelta(days=30))["unconfirmed_deleted"] == 2
    assert set(Notice.objects.values_list("pk", flat=True)) == {later.pk, confirmed.pk}
    gone = {expired.pk, never_expired.pk}
    for model in (NoticeItem, Event, OutboundEmail, Evidence):
        assert not model.objects.filter(notice_id__in=gone).exists()
    assert not default_storage.exists(evidence.file.name)
    # What stays is untouched.
    kept = {later.pk, confirmed.pk}
    assert everything()["Event"] == [row for row in before["Event"] if row["notice_id"] in kept]
    assert everything()["OutboundEmail"] == [row for row in before["OutboundEmail"] if row["notice_id"] in kept]


# --- Submitters' records and the trust ladder. ---

def test_the_record_stays_while_a_notice_of_the_same_address_keeps_its_data(case, reviewers):
    later = factories.routed(datetime(2029, 1, 1, tzinfo=UTC), [("L-100001", "counterfeit")])
    factories.decide(later, datetime(2029, 1, 1, 1, tzinfo=UTC), {"L-100001": factories.REJECT})
    submitter = Submitter.objects.get()
    assert apply_retention(DUE)["cases_anonymised"] == 1
    assert Submitter.objects.get() == submitter
    assert Notice.objects.get(pk=later.pk).submitter == submitter
    assert apply_retention(datetime(2035, 1, 2, tzinfo=UTC))["submitters_deleted"] == 1
    assert not Submitter.objects.exists()


def test_a_trusted_flaggers_record_is_kept_and_the_ladder_starts_again_for_anyone_else(case, reviewers):
    apply_retention(DUE)
    assert not Submitter.objects.exists()
    # The same address files again: a new record, on the ladder's first confirmed rung.
    again = Notice.objects.get(pk=factories.confirmed(DUE).pk)
    assert (again.submitter.notices, again.trust) == (1, SubmitterTrust.VERIFIED)
    Submitter.objects.filter(pk=again.submitter_id).update(trusted_flagger=True)
    filing.withdraw_notice(again, DUE + SECOND)
    assert apply_retention(DUE.replace(year=DUE.year + 7))["cases_anonymised"] == 1
    assert Submitter.objects.get().trusted_flagger is True
    # Revoked by a lead: the next run lets it go.
    Submitter.objects.update(trusted_flagger=False)
    assert apply_retention(DUE.replace(year=DUE.year + 7))["submitters_deleted"] == 1


# --- The figures. ---

SLUGS = ["2025-03", "2025-04", "2025-H1", "2026-09", "2026-10", "2026-11", "2026-H2"]


def figures(now: datetime) -> dict:
    """Every figure the portal publishes or shows the leads, with the counts of every row they come from."""
    clock_rollup.refresh(now)
    periods = [Period(datetime(2025, 3, 1).date(), datetime(2025, 4, 30).date()),
               Period(datetime(2026, 9, 1).date(), datetime(2026, 11, 30).date())]
    decisions = (Decision.objects.select_related(*tdb.RELATED).filter(outcome="remove", item__listing__isnull=False)
                 .order_by("pk"))
    penalties = Penalty.objects.select_related("seller", "strike__notice").exclude(level="warning").order_by("pk")
    return {
        "report": {slug: transparency.report_figures(transparency.report_period(slug, now)) for slug in SLUGS},
        "dashboard": [(dashboard.period_figures(period), list(dashboard.figure_rows(period)),
                       list(dashboard.duration_rows(period))) for period in periods],
        "running": dashboard.running_clocks(), "workload": dashboard.workload(),
        "queue": queue.count_open_notices(now),
        "rollup": (list(ClockDurationsDay.objects.order_by("pk").values()),
                   list(ClockBreachesDay.objects.order_by("pk").values())),
        "tdb": ([tdb.statement_for(decision) for decision in decisions],
                [tdb.statement_for_penalty(penalty) for penalty in penalties]),
        # Rows of received (confirmed) notices: an unconfirmed one was never received, and goes.
        "counts": {model.__name__: model.objects.count() for model in (
            Decision, SlaClock, Strike, Penalty, CounterNotice, Appeal, InfoRequest)},
        "items": NoticeItem.objects.exclude(notice__confirmed_at=None).count(),
        "events": Event.objects.exclude(notice__confirmed_at=None).count(),
        "notices": list(Notice.objects.exclude(confirmed_at=None).order_by("pk").values(
            "pk", "reference", "status", "trust", "right_type", "priority", "reason_mask", "confirmed_at",
            "closed_at", "submitter_country")),
        "sellers": list(Seller.objects.order_by("pk").values()),
        "reviewers": list(Reviewer.objects.order_by("pk").values("pk", "open_load")),
    }


def test_every_figure_is_the_same_after_a_run(case, dataset):
    # The dataset's notices are rows as they stand; closing dates the workflow would have written.
    Notice.objects.filter(reference__in=["TD-N1", "TD-N2", "TD-N3", "TD-N4", "TD-N7"]).update(
        closed_at=datetime(2026, 11, 5, tzinfo=UTC))
    now = datetime(2033, 6, 1, tzinfo=UTC)
    before = figures(now)
    done = apply_retention(now)
    # N1, N3, N7 and the case lose their personal data; N2 (a penalty appeal pending) and N4 (a
    # counter-notice waiting, an appeal pending) are kept whole; the never-confirmed N6 goes.
    assert (done["cases_anonymised"], done["unconfirmed_deleted"]) == (4, 1)
    assert set(Notice.objects.exclude(anonymised_at=None).values_list("reference", flat=True)) == {
        "TD-N1", "TD-N3", "TD-N7", case.reference}
    assert figures(now) == before


# --- The task, the beat and the settings. ---

def test_the_beat_runs_the_task_every_hour_and_the_task_runs_the_policy(case):
    assert settings.CELERY_BEAT_SCHEDULE["apply-retention"] == {"task": "takedowns.tasks.apply_retention",
                                                                "schedule": 3600.0}
    assert tasks.apply_retention() == NOTHING  # nothing is due today
    assert Notice.objects.get().anonymised_at is None


@pytest.mark.parametrize(("env", "message"), [
    ({"RETENTION_UNCONFIRMED_DAYS": "7"},
     "RETENTION_UNCONFIRMED_DAYS=7 must be more than NOTICE_CONFIRMATION_DAYS=7: a notice that can still be "
     "confirmed is not deleted."),
    ({"RETENTION_CASE_YEARS": "0"}, "RETENTION_CASE_YEARS=0 must be at least 1."),
    ({"RETENTION_CASE_YEARS": "1", "APPEAL_WINDOW_MONTHS": "13"},
     "RETENTION_CASE_YEARS=1 must cover APPEAL_WINDOW_MONTHS=13: a case is kept whole while it can still be "
     "appealed (DSA Art. 20)."),
])
def test_a_retention_setting_that_breaks_the_law_or_the_workflow_stops_the_start(env, message):
    result = run_manage({**PRODUCTION, **env}, "check")
    assert (result.returncode, result.stderr.strip()) == (1, f"Configuration error: {message}")


def test_retention_settings_within_bounds_start(tmp_path):
    result = run_manage({**PRODUCTION, "RETENTION_UNCONFIRMED_DAYS": "8", "RETENTION_CASE_YEARS": "3"}, "check")
    assert result.returncode == 0, result.stderr
