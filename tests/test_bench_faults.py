"""bench/faults' counting (bench/faults_tally.py), without services: an SMTP message is tied to its
OutboundEmail row by its content; copies beyond one per row are duplicates, a row without a copy
within the fault's bound is lost; a failed request is an error shown (5xx or no answer) or a refusal,
with or without its work saved; and the verdict holds the issue's bar. The whole command runs against
real services in tests/integration/test_bench_smoke.py."""

import sys
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives

BENCH = Path(__file__).resolve().parent.parent / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import faults_tally  # noqa: E402 - bench/ is a folder of scripts, put on the path just above
from faults_inject import FaultRun  # noqa: E402
from faults_load import CONFIRM, CONFIRM_PAGE, FILE, Filer, Request  # noqa: E402
from harness import ReceivedMail  # noqa: E402

FAULT_END = 1_000.0
BOUND_END = 1_150.0


def _run(requests: list[Request] = ()) -> FaultRun:
    filer = Filer(port=1, listing_refs=[], notices=len(requests), seconds=1, browsers=1, seed=1,
                  requests=list(requests), keys=sorted({r.key for r in requests if r.key}))
    return FaultRun("broker_down", filer, started=940.0, ended=FAULT_END, bound_end=BOUND_END)


def _row(pk: int, to: str, subject: str, body: str, status: str = "sent", kind: str = "notice_routed") -> dict:
    return {"id": pk, "kind": kind, "to": to, "subject": subject, "body_text": body, "status": status}


def _sent(row: dict, at: float) -> ReceivedMail:
    """The row as outbox.deliver sends it: text and HTML, Django's headers (a new Message-ID each time)."""
    message = EmailMultiAlternatives(row["subject"], row["body_text"], "Portal <p@portal.test>", [row["to"]])
    message.attach_alternative(f"<p>{row['body_text']}</p>", "text/html")
    return ReceivedMail(at, (row["to"],), message.message().as_bytes())


def test_a_message_as_django_sends_it_matches_its_row_despite_folding_and_encoding():
    row = _row(1, "Anna@Aerostride.example", "Your notice TD-7KQ4-M2XB is with a reviewer: " + "long words " * 8,
               "Grüße — your notice TD-7KQ4-M2XB is with a reviewer.\n\n" + "a line that goes on " * 10 + "\n")
    [mail] = faults_tally.parse(_sent(row, 1_010.0))
    assert mail.key == faults_tally.row_key(row)
    assert mail.message_id.startswith("<") and mail.at == 1_010.0
    other = dict(row, body_text=row["body_text"].replace("TD-7KQ4-M2XB", "TD-7KQ4-M2XC"))
    assert faults_tally.parse(_sent(other, 1_010.0))[0].key != mail.key


def test_each_row_once_within_the_bound_is_delivered_more_copies_are_duplicates_the_rest_is_lost():
    once, twice, late, never = (_row(i, f"r{i}@x.example", f"Subject {i}", f"Body {i}") for i in range(4))
    stuck = _row(5, "r5@x.example", "Subject 5", "Body 5", status="sending", kind="notice_received")
    received = [_sent(once, 1_005.0), _sent(twice, 1_010.0), _sent(twice, 1_700.0), _sent(late, 1_200.0),
                _sent(stuck, 1_020.0)]
    counts = faults_tally.email_counts(_run(), [once, twice, late, never, stuck], faults_tally.mails_of(received))
    assert {key: counts[key] for key in ("rows", "delivered_once", "missing", "arrived_after_bound", "duplicates",
                                         "received_but_row_not_sent", "duplicate_message_ids")} == {
        "rows": 5, "delivered_once": 2, "missing": 2, "arrived_after_bound": 1, "duplicates": 1,
        "received_but_row_not_sent": 1, "duplicate_message_ids": 0}
    assert counts["row_status"] == {"sent": 4, "sending": 1}
    assert counts["last_after_fault_end_s"] == 20.0  # the last first copy within the bound
    assert counts["by_kind"]["notice_received"] == {"rows": 1, "missing": 0, "arrived_after_bound": 0,
                                                    "duplicates": 0, "received_but_row_not_sent": 1,
                                                    "delivered_once": 1}


def test_two_rows_with_the_same_content_expect_two_copies():
    row = _row(1, "r@x.example", "Same", "Same body")
    counts = faults_tally.email_counts(_run(), [row, dict(row, id=2)], faults_tally.mails_of([_sent(row, 1_001.0)]))
    assert (counts["delivered_once"], counts["missing"], counts["duplicates"]) == (1, 1, 0)


@pytest.mark.parametrize("status, ok, outcome", [(302, True, "ok"), (500, False, "error"), (None, False, "error"),
                                                 (502, False, "error"), (403, False, "refused"),
                                                 (200, False, "refused")])
def test_a_request_is_ok_an_error_shown_or_refused(status, ok, outcome):
    assert faults_tally.classify(Request(FILE, "k", 0.0, 0.1, status, "", ok)) == outcome


def test_failed_requests_are_split_by_whether_their_work_was_saved_and_whether_the_fault_lasted():
    requests = [Request(FILE, "a", 950.0, 950.2, 500, "", False),  # saved, during the fault
                Request(FILE, "b", 960.0, 960.1, None, "ConnectionRefusedError", False),  # not saved
                Request(CONFIRM_PAGE, "a", 950.3, 950.4, 200, "", True),
                Request(CONFIRM, "a", 1_001.0, 1_001.5, 500, "", False),  # confirmed, after the fault
                Request(FILE, "c", 1_002.0, 1_002.1, 400, "", False)]
    counts = faults_tally.request_counts(_run(requests), saved={"a", "c"}, confirmed={"a"})
    assert {key: counts[key] for key in ("errors_shown", "errors_shown_work_saved", "errors_shown_work_not_saved",
                                         "refused", "failed_while_fault_lasted")} == {
        "errors_shown": 3, "errors_shown_work_saved": 2, "errors_shown_work_not_saved": 1, "refused": 1,
        "failed_while_fault_lasted": 2}
    assert counts["by_kind"][FILE]["status_no_answer"] == 1
    assert counts["by_kind"][FILE]["refused_work_saved"] == 1
    assert counts["by_kind"][CONFIRM]["error_work_saved"] == 1


def _report(**changes: dict) -> dict:
    report = {"notices": {"filed_ok_without_row": 0, "confirm_ok_not_confirmed": 0},
              "routed": {"not_routed_within_bound": 0, "routed_twice_or_more": 0, "last_after_fault_end_s": 30.0},
              "emails": {"missing": 0, "duplicates": 0, "duplicate_message_ids": 0, "received_but_row_not_sent": 0,
                         "last_after_fault_end_s": 130.0},
              "requests": {"errors_shown": 0, "errors_shown_work_saved": 0, "refused": 0}}
    for part, values in changes.items():
        report[part] = {**report[part], **values}
    return report


def test_the_verdict_is_clean_only_with_nothing_lost_duplicated_shown_or_late():
    assert faults_tally.problems(_report(), {"routed": 120.0}) == []
    assert faults_tally.problems(_report(), {"emails": 120.0}) == [
        "late: last emails 130.0s after the fault's end (target 120s)"]
    assert faults_tally.problems(_report(routed={"routed_twice_or_more": 1}, emails={"missing": 2},
                                         requests={"errors_shown": 3, "errors_shown_work_saved": 3}), {}) == [
        "lost: 2 e-mails not delivered within the bound",
        "duplicated: 1 notices routed twice or more",
        "shown: 3 errors shown (5xx or no answer)",
        "shown: 3 of them with the work saved"]
