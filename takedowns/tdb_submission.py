"""Sends our statements of reasons to the DSA Transparency Database (Art. 24(5): "without undue delay"),
and never one twice. The only writer of TdbSubmission rows.

The API's contract (github.com/digital-services-act/transparency-database: routes/api_v1.php,
app/Http/Controllers/Api/v1/StatementMultipleAPIController.php, app/Services/GroupedSubmissionsService.php,
app/Exceptions/PuidNotUniqueMultipleException.php):

- `POST {TDB_API_URL}/api/v1/statements` with `{"statements": [...]}`, 1 to 100 statements, and the
  platform's token as `Authorization: Bearer ...`.
- 201 `{"statements": [...]}`: each statement as stored, with its `uuid` and our `puid`.
- 422 when any statement is invalid: the whole call is refused and nothing is stored;
  `{"errors": {"statement_3": {"field": ["message"]}}}` names each invalid one by its index.
- 422 when a puid is already known to the TDB: again nothing is stored;
  `{"message": ..., "errors": {"puid": [...], "existing_puids": ["..."]}}`.

How it goes:

1. `enqueue` creates a pending row, keyed by the statement's puid (unique), for every removal whose
   listing came down and every applied account measure, over the whole history: Art. 24(5) asks for
   every statement, however old. A persisted high-water mark per kind (TdbQueueMark) says up to when
   every one is queued, by when it became eligible (Decision.listing_removed_at, Penalty.applied_at,
   each written once); a run reads on from the mark in that order, at most ENQUEUE_LIMIT rows per kind
   (the first run after the API is configured over a million old removals is bounded; the backlog
   goes over the next runs), and moves the mark on, never later than now - LATE_COMMITS, so a row
   committed minutes after its date is still found. The dashboard card shows how many eligible
   statements are not yet queued (not_yet_queued).
2. `submit_pending` claims up to 100 pending rows with one conditional update (a row in "sending"
   whose claim is older than SEND_LEASE is claimed again: its run died), builds their statements,
   and posts them. A claimed row is never claimed by another run, so no statement goes out twice
   at once; one whose run died after sending is sent again and the TDB answers "puid exists":
   recorded as already sent.
3. The answer: 201 records each statement's uuid. A 422 marks the statements it names as failed (a
   lead reads why in /admin/; they are not sent again) or as already sent (existing_puids), and
   puts the others back as pending, so the next batch of the same run sends them. A 429, a 5xx or a
   connection error is retried after 1, 2 and 4 seconds; still failing, the rows go back to
   pending and the run stops: the beat's next run is the next try. 401/403 (a bad token) and other
   answers stop the run the same way, with the answer kept as the rows' last error.

Off while TDB_API_URL or TDB_API_TOKEN is unset.
"""

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from takedowns import tdb
from takedowns.enums import DecisionOutcome, TdbStatementKind, TdbSubmissionStatus
from takedowns.models import Decision, Penalty, TdbQueueMark, TdbSubmission
from takedowns.reports.periods import Period

logger = logging.getLogger(__name__)

PATH = "/api/v1/statements"
SEND_LEASE = timedelta(minutes=10)
MAX_BATCHES_PER_RUN = 50
# Per kind and run: as many as one run can send (MAX_BATCHES_PER_RUN batches of tdb.BATCH_LIMIT).
ENQUEUE_LIMIT = 5000
# How long a transaction may take to commit a row dated before its commit (as clock_rollup.LATE_COMMITS):
# the queue mark stays that far behind now, and rows behind the mark are never read again.
LATE_COMMITS = timedelta(minutes=10)
# The card's count of statements not yet queued stops there ("at least"): two index scans of 1,001 entries
# per kind, about 3 ms at a million removals with half of them queued (EXPLAIN ANALYZE on PostgreSQL).
BACKLOG_COUNT_LIMIT = 1000
RETRY_DELAYS = (1, 2, 4)  # seconds between the tries of one batch
TIMEOUT = 30
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_CLAIMABLE = Q(status=TdbSubmissionStatus.PENDING)
_RELATED = ("decision__item__notice", "decision__item__listing", "penalty__seller", "penalty__strike__notice")


def enabled() -> bool:
    return bool(settings.TDB_API_URL and settings.TDB_API_TOKEN)


@dataclass(frozen=True)
class _Source:
    """One kind of statement: the rows that have one (eligible), by the moment they became eligible."""
    kind: str
    moment: str
    related: str
    link: str  # TdbSubmission's field that points at it

    def eligible(self) -> QuerySet:
        # Each filter matches its partial index (models.py: decision_tdb_eligible, penalty_tdb_eligible).
        if self.kind == TdbStatementKind.REMOVAL:
            return Decision.objects.filter(outcome=DecisionOutcome.REMOVE, listing_removed_at__isnull=False)
        return Penalty.objects.filter(level__in=list(tdb.PENALTY_MEASURES), applied_at__isnull=False)

    def unqueued(self, mark: datetime | None) -> QuerySet:
        rows = self.eligible().filter(tdb_submission__isnull=True)
        return rows if mark is None else rows.filter(**{f"{self.moment}__gte": mark})

    def row(self, source: Decision | Penalty, now: datetime) -> TdbSubmission:
        if isinstance(source, Decision):
            return TdbSubmission(puid=tdb.puid_for(source), kind=self.kind, decision=source, created_at=now)
        return TdbSubmission(puid=tdb.penalty_puid_for(source), kind=self.kind, penalty=source, created_at=now)


SOURCES = (_Source(TdbStatementKind.REMOVAL, "listing_removed_at", "item__listing", "decision"),
           _Source(TdbStatementKind.ACCOUNT_MEASURE, "applied_at", "seller", "penalty"))


def _mark(kind: str) -> datetime | None:
    return TdbQueueMark.objects.filter(kind=kind).values_list("queued_until", flat=True).first()


def enqueue(now: datetime) -> int:
    """Pending rows for the removals carried out and the account measures applied that have none yet,
    read on from each kind's mark in the order they became eligible, at most ENQUEUE_LIMIT per kind;
    how many were added. The mark then moves to the last row read when the limit cut the run short,
    else to now - LATE_COMMITS (a row dated before that and committed later is read no more; its
    transaction would have taken longer than LATE_COMMITS); it never moves back."""
    added = 0
    for source in SOURCES:
        mark = _mark(source.kind)
        batch = list(source.unqueued(mark).select_related(source.related)
                     .order_by(source.moment, "pk")[:ENQUEUE_LIMIT])
        added += len(TdbSubmission.objects.bulk_create([source.row(item, now) for item in batch],
                                                       ignore_conflicts=True))
        # Every eligible row dated before the last one read is queued now (they were read in that order).
        reached = now - LATE_COMMITS
        if len(batch) == ENQUEUE_LIMIT:
            reached = min(reached, getattr(batch[-1], source.moment))
        if mark is None or reached > mark:
            TdbQueueMark.objects.update_or_create(kind=source.kind, defaults={"queued_until": reached})
    return added


def not_yet_queued() -> tuple[int, bool]:
    """Statements that should go to the TDB and have no TdbSubmission row yet, and whether there may be
    more than counted (then the card says "at least"). Per kind: the ids of the first
    BACKLOG_COUNT_LIMIT + 1 eligible rows from the mark on (an ordered scan of the partial index, however
    long the backlog), less those of them with a row (probes of its unique index). Every eligible row
    before the mark is queued, so under the limit the count is exact. (One anti-join instead makes the
    planner hash the whole TdbSubmission table while a backlog is long: 200-400 ms at 1M rows.)"""
    marks = dict(TdbQueueMark.objects.values_list("kind", "queued_until"))
    total, more = 0, False
    for source in SOURCES:
        mark = marks.get(source.kind)
        eligible = source.eligible() if mark is None else source.eligible().filter(**{f"{source.moment}__gte": mark})
        ids = list(eligible.order_by(source.moment, "pk").values_list("pk", flat=True)[:BACKLOG_COUNT_LIMIT + 1])
        queued = TdbSubmission.objects.filter(**{f"{source.link}__in": ids}).count() if ids else 0
        total += min(len(ids) - queued, BACKLOG_COUNT_LIMIT)
        more = more or len(ids) > BACKLOG_COUNT_LIMIT  # rows beyond those read
    return total, more


def _claim(now: datetime) -> tuple[uuid.UUID, list[TdbSubmission]]:
    token = uuid.uuid4()
    claimable = _CLAIMABLE | Q(status=TdbSubmissionStatus.SENDING, claimed_at__lt=now - SEND_LEASE)
    ids = list(TdbSubmission.objects.filter(claimable).order_by("id").values_list("id", flat=True)[:tdb.BATCH_LIMIT])
    # Conditional: a row another run claimed between the two statements is left to it.
    TdbSubmission.objects.filter(claimable, id__in=ids).update(
        status=TdbSubmissionStatus.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    return token, list(TdbSubmission.objects.select_related(*_RELATED).filter(claim=token).order_by("id"))


def statement_of(row: TdbSubmission) -> dict:
    if row.decision is not None:
        return tdb.statement_for(row.decision)
    assert row.penalty is not None  # the table's check constraint: one source
    return tdb.statement_for_penalty(row.penalty)


class Unreachable(Exception):
    """No answer: a connection refused or cut, a time-out."""


def post(statements: list[dict]) -> tuple[int, dict]:
    """(HTTP status, JSON body) of the TDB's answer; Unreachable when there is none."""
    request = urllib.request.Request(
        settings.TDB_API_URL + PATH, data=json.dumps({"statements": statements}).encode(), method="POST",
        headers={"Authorization": f"Bearer {settings.TDB_API_TOKEN}", "Content-Type": "application/json",
                 "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(str(error)) from error


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return {"message": body[:500].decode(errors="replace")}
    return data if isinstance(data, dict) else {"message": str(data)[:500]}


@dataclass
class RunResult:
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    enqueued: int = 0
    stopped: str = ""  # why the run stopped early, if it did
    errors: list[str] = field(default_factory=list)


def submit_pending(now: datetime, sleep: Callable[[float], None] = time.sleep) -> RunResult:
    """The beat's work: enqueue, then send pending statements in batches of 100 until none is left,
    the TDB cannot take more now, or MAX_BATCHES_PER_RUN."""
    result = RunResult()
    if not enabled():
        result.stopped = "off: TDB_API_URL or TDB_API_TOKEN is not set"
        return result
    result.enqueued = enqueue(now)
    for _ in range(MAX_BATCHES_PER_RUN):
        token, rows = _claim(now)
        if not rows:
            break
        if not _send_batch(token, rows, now, sleep, result):
            break
    return result


def _send_batch(token: uuid.UUID, rows: list[TdbSubmission], now: datetime, sleep: Callable[[float], None],
                result: RunResult) -> bool:
    """Sends one claimed batch and records the answer; False when the run should stop."""
    mine = TdbSubmission.objects.filter(claim=token)
    rows, statements = _statements(mine, rows, result)
    if not rows:
        return True
    status: int | None = None
    answer: dict = {}
    error = ""
    for delay in (*RETRY_DELAYS, None):
        try:
            status, answer = post(statements)
        except Unreachable as exc:
            status, error = None, f"The Transparency Database could not be reached: {exc}"
        else:
            error = f"HTTP {status}: {json.dumps(answer)[:1000]}"
        if status is not None and status not in TRANSIENT_STATUSES:
            break
        if delay is None:
            break
        logger.info("TDB batch of %s: %s; trying again in %ss", len(rows), error, delay)
        sleep(delay)
    if status in (200, 201):
        return _record_accepted(mine, rows, answer, now, result)
    if status == 422:
        return _record_refused(mine, rows, answer, now, result)
    # Transient to the end, or an answer that is not about the statements (a bad token, a wrong URL).
    mine.update(status=TdbSubmissionStatus.PENDING, claim=None, last_error=error)
    result.stopped = error
    result.errors.append(error)
    logger.warning("TDB submission stopped: %s", error)
    return False


def _statements(mine: QuerySet[TdbSubmission], rows: list[TdbSubmission],
                result: RunResult) -> tuple[list[TdbSubmission], list[dict]]:
    """The batch's statements. A row whose statement cannot be written (its decision is no longer a
    removal, its listing is gone) fails at once, with why, rather than hold its batch up at every run."""
    kept, statements = [], []
    for row in rows:
        try:
            statements.append(statement_of(row))
        except ValueError as exc:  # tdb.NotARemoval, NoticeItem.decided_listing
            message = f"No statement could be written: {exc}"
            mine.filter(pk=row.pk).update(status=TdbSubmissionStatus.FAILED, claim=None, last_error=message)
            result.failed += 1
            result.errors.append(message)
        else:
            kept.append(row)
    return kept, statements


def _record_accepted(mine: QuerySet[TdbSubmission], rows: list[TdbSubmission], answer: dict, now: datetime,
                     result: RunResult) -> bool:
    accepted = {item.get("puid"): item for item in answer.get("statements") or [] if isinstance(item, dict)}
    for row in rows:
        item = accepted.get(row.puid)
        if item is None:
            continue
        mine.filter(pk=row.pk).update(status=TdbSubmissionStatus.SENT, claim=None, sent_at=now, last_error="",
                                      tdb_uuid=str(item.get("uuid") or item.get("id") or ""))
        result.sent += 1
    missing = [row.pk for row in rows if row.puid not in accepted]
    if missing:
        # Not in the answer: nothing says it was stored. Sent again later; a duplicate is then recognised.
        mine.filter(pk__in=missing).update(status=TdbSubmissionStatus.PENDING, claim=None,
                                           last_error="Not in the Transparency Database's answer.")
    return True


def _record_refused(mine: QuerySet[TdbSubmission], rows: list[TdbSubmission], answer: dict, now: datetime,
                    result: RunResult) -> bool:
    errors: dict = answer["errors"] if isinstance(answer.get("errors"), dict) else {}
    existing = set(errors.get("existing_puids") or [])
    invalid = {int(key.removeprefix("statement_")): value for key, value in errors.items()
               if key.startswith("statement_") and key.removeprefix("statement_").isdigit()}
    if not existing.intersection(row.puid for row in rows) and not invalid.keys() & set(range(len(rows))):
        # A refusal that names none of the batch's statements: the batch itself is malformed, and would be
        # refused again as it is.
        message = f"HTTP 422: {json.dumps(answer)[:1000]}"
        mine.update(status=TdbSubmissionStatus.FAILED, claim=None, last_error=message)
        result.failed += len(rows)
        result.errors.append(message)
        return True
    for index, row in enumerate(rows):
        if row.puid in existing:
            mine.filter(pk=row.pk).update(status=TdbSubmissionStatus.ALREADY_SENT, claim=None, sent_at=now,
                                          last_error="")
            result.already_sent += 1
        elif index in invalid:
            message = f"Refused by the Transparency Database: {json.dumps(invalid[index], ensure_ascii=False)}"
            mine.filter(pk=row.pk).update(status=TdbSubmissionStatus.FAILED, claim=None, last_error=message[:5000])
            result.failed += 1
            result.errors.append(message)
    # The rest were refused only with their batch: pending again, the run's next batch sends them.
    mine.update(status=TdbSubmissionStatus.PENDING, claim=None)
    return True


@dataclass(frozen=True)
class SubmissionCounts:
    enabled: bool
    not_queued: int
    not_queued_more: bool  # "at least not_queued"
    pending: int
    failed: int
    sent_in_period: int | None
    last_error: str
    last_error_at: datetime | None


def submission_counts(period: Period | None) -> SubmissionCounts:
    """For the leads' dashboard. not_queued: statements not yet queued (not_yet_queued); pending: waiting
    or being sent now; failed: refused by the TDB (each
    needs a lead); sent in the period: accepted, or recognised as already there, with sent_at in the
    dashboard's period; the most recent error recorded on a row and when."""
    counts = TdbSubmission.objects.filter(status__in=[TdbSubmissionStatus.PENDING, TdbSubmissionStatus.SENDING,
                                                      TdbSubmissionStatus.FAILED]).aggregate(
        pending=Count("pk", filter=~Q(status=TdbSubmissionStatus.FAILED)),
        failed=Count("pk", filter=Q(status=TdbSubmissionStatus.FAILED)))
    sent = None if period is None else TdbSubmission.objects.filter(period.where("sent_at")).count()
    last = TdbSubmission.objects.exclude(last_error="").order_by("-claimed_at").values_list(
        "last_error", "claimed_at").first()
    return SubmissionCounts(enabled(), *not_yet_queued(), counts["pending"], counts["failed"], sent,
                            last[0] if last else "", last[1] if last else None)
