"""The fixed dataset the dashboard's and the transparency report's figures are worked out from by
hand (tests/reports/test_dashboard.py and tests/views/test_report.py; the same figures in
tests/reports/test_clock_rollup.py and tests/views/test_dashboard.py), built row by row on purpose:
exact timestamps in October 2026, rows just outside it, states the workflow reaches only over days
(a breach, then a withdrawal; a decision reversed on appeal), and clocks whose elapsed times make
round medians. Everything else is built through the workflow by tests/factories.py."""

import uuid
from datetime import UTC, date, datetime, timedelta

from takedowns.enums import LEGAL_GROUNDS, ClockKind
from takedowns.models import (
    Appeal,
    CounterNotice,
    CounterNoticeFiling,
    Decision,
    Notice,
    NoticeItem,
    Penalty,
    Referral,
    Reviewer,
    Seller,
    SlaClock,
    Strike,
)
from takedowns.reports.periods import Period
from tests.factories import figures_listing, notice_fields, notice_removal, own_initiative_case, screening_row

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def notice_row(reference: str, confirmed_at: datetime | None, reasons: tuple[str, ...], *, right_type: str,
               trust: str = "verified", status: str = "closed", assigned_to: Reviewer | None = None) -> Notice:
    """A notice row as it stands after its life so far, with one item per reason, each in review."""
    filed = confirmed_at or at(10, 1)
    notice = Notice.objects.create(
        reference=reference, submission_key=uuid.uuid4(), tracking_token=uuid.uuid4().hex,
        confirmation_token=uuid.uuid4().hex, **notice_fields(right_type=right_type), trust=trust, status=status,
        assigned_to=assigned_to, created_at=filed, expires_at=filed + timedelta(days=2), confirmed_at=confirmed_at)
    for position, reason in enumerate(reasons, start=1):
        NoticeItem.objects.create(notice=notice, position=position, reported=f"{reference}/{position}", reason=reason,
                                  state="in_review")
    return notice


def _item(notice: Notice, position: int = 1) -> NoticeItem:
    return notice.items.get(position=position)


def clock_row(kind: str, notice: Notice, started: datetime, due: datetime, stopped: datetime | None = None, *,
              paused_for: timedelta = timedelta(0), **flags) -> SlaClock:
    """A clock as workflow/clocks.py leaves it: elapsed = stopped - started - paused."""
    return SlaClock.objects.create(
        kind=kind, notice=notice, target=due - started, started_at=started, due_at=due,
        warn_at=started + (due - started) * 0.8, stopped_at=stopped, paused_for=paused_for,
        elapsed=stopped - started - paused_for if stopped else None, **flags)


# The counter-notices' fields, the same for each.
COUNTER_NOTICE = {"full_name": "Jin Park", "address": "1 Market St", "phone": "+49 30 1234",
                  "email": "jin@shop.example", "material": "Listing L-100001", "explanation": "Genuine goods.",
                  "statement_mistake": True, "consent_jurisdiction": True, "signature": "Jin Park"}


def build_dataset(reviewers: dict[str, Reviewer]) -> dict:
    """The fixed dataset the figures of the dashboard and the report are worked out from; the
    comments carry the arithmetic. Needs the catalogue's sellers and the `reviewers` fixture's tm and cr."""
    tm, cr = reviewers["tm"], reviewers["cr"]
    acme, bright = Seller.objects.get(external_id="S-1"), Seller.objects.get(external_id="S-2")
    # Notices confirmed in October: N1 N2 N3 N7. N4 in September, N5 N8 N9 N10 in November, N6 never.
    n1 = notice_row("TD-N1", at(10, 5, 9), ("counterfeit", "trademark_misuse"), right_type="trademark",
                    trust="trusted_flagger", assigned_to=tm)
    n2 = notice_row("TD-N2", at(10, 10, 12), ("copyright_images",), right_type="copyright", assigned_to=cr)
    n3 = notice_row("TD-N3", at(10, 20, 8), ("design", "counterfeit"), right_type="design", trust="good_faith",
                    assigned_to=tm)
    n4 = notice_row("TD-N4", at(9, 28, 10), ("counterfeit",), right_type="trademark", trust="trusted_flagger",
                    assigned_to=tm)
    notice_row("TD-N5", at(11, 2, 9), ("patent",), right_type="patent", status="in_review", assigned_to=cr)
    notice_row("TD-N6", None, ("counterfeit",), right_type="trademark", trust="unverified", status="unconfirmed")
    n7 = notice_row("TD-N7", at(10, 14, 10), ("copyright_text",), right_type="copyright", status="withdrawn")
    n8 = notice_row("TD-N8", at(11, 20, 10), ("counterfeit",), right_type="trademark", status="in_review",
                    assigned_to=tm)
    n9 = notice_row("TD-N9", at(11, 25, 10), ("counterfeit",), right_type="trademark", status="confirmed")
    n10 = notice_row("TD-N10", at(11, 21, 10), ("copyright_images",), right_type="copyright",
                     status="awaiting_submitter", assigned_to=cr)
    Reviewer.objects.filter(pk=tm.pk).update(open_load=1)
    Reviewer.objects.filter(pk=cr.pk).update(open_load=2)

    # Decisions: time to action (decided - confirmed) in October is 4, 20, 2, 72, 24 and 216 hours.
    def decide(notice, position, outcome, decided_at, **fields) -> Decision:
        # A removal records the legal ground of the notice's right, as workflow/review.decide_items does.
        ground = LEGAL_GROUNDS[notice.right_type] if outcome == "remove" else ""
        return Decision.objects.create(item=_item(notice, position), outcome=outcome, decided_by=tm.user,
                                       decided_at=decided_at, legal_ground=ground, **fields)
    d1 = decide(n1, 1, "remove", at(10, 5, 13), automated_detection=True, listing_removed_at=at(10, 5, 13, 5))
    decide(n1, 2, "reject", at(10, 6, 5))
    d3 = decide(n2, 1, "remove", at(10, 10, 14), automated_detection=True, automated_decision=True,
                listing_restored_at=at(10, 25, 10))
    d4 = decide(n4, 1, "remove", at(10, 1, 10))
    d6 = decide(n3, 1, "reject", at(10, 21, 8), reversed_at=at(10, 28, 8))
    decide(n3, 1, "remove", at(10, 29, 8))  # the re-decision after the submitter's appeal
    decide(n3, 2, "remove", at(11, 3, 8))

    # Takedown decision clocks stopped in October: 20 h (within), 72 h (breached), 1 h (within).
    clock_row(ClockKind.TAKEDOWN_DECISION, n1, at(10, 5, 9), at(10, 6, 9), at(10, 6, 5))
    clock_row(ClockKind.TAKEDOWN_DECISION, n4, at(9, 28, 10), at(9, 29, 10), at(10, 1, 10), warned_at=at(9, 29, 5, 12),
              breached_at=at(9, 29, 10))
    clock_row(ClockKind.TAKEDOWN_DECISION, n2, at(10, 10, 12), at(10, 11, 13), at(10, 10, 14), paused_for=H)
    # Withdrawn after its breach: cancelled, so in no duration figure; the breach itself happened
    # (a clock_breached event) and counts on its day.
    clock_row(ClockKind.TAKEDOWN_DECISION, n7, at(10, 14, 10), at(10, 15, 10), at(10, 15, 12), cancelled=True,
              warned_at=at(10, 15, 5, 12), breached_at=at(10, 15, 10))
    # Breached in October, stopped in November.
    clock_row(ClockKind.TAKEDOWN_DECISION, n3, at(10, 20, 8), at(10, 21, 8), at(11, 3, 8), warned_at=at(10, 21, 3, 12),
              breached_at=at(10, 21, 8))
    # Acknowledgements in October: 5, 30 (breached), 10 and 1 minutes; September's 3 minutes are out.
    clock_row(ClockKind.ACKNOWLEDGEMENT, n1, at(10, 5, 9), at(10, 5, 9, 15), at(10, 5, 9, 5))
    clock_row(ClockKind.ACKNOWLEDGEMENT, n2, at(10, 10, 12), at(10, 10, 12, 15), at(10, 10, 12, 30),
              breached_at=at(10, 10, 12, 15))
    clock_row(ClockKind.ACKNOWLEDGEMENT, n7, at(10, 14, 10), at(10, 14, 10, 15), at(10, 14, 10, 10))
    clock_row(ClockKind.ACKNOWLEDGEMENT, n3, at(10, 20, 8), at(10, 20, 8, 15), at(10, 20, 8, 1))
    clock_row(ClockKind.ACKNOWLEDGEMENT, n4, at(9, 28, 10), at(9, 28, 10, 15), at(9, 28, 10, 3))

    # Strikes, penalties and their clocks: 1 h and 24 h, both within 72 h.
    strike1 = Strike.objects.create(seller=acme, notice=n1, created_at=at(10, 5, 13), expires_at=at(12, 31))
    strike2 = Strike.objects.create(seller=bright, notice=n2, created_at=at(10, 10, 14), expires_at=at(12, 31))
    strike3 = Strike.objects.create(seller=acme, notice=n3, created_at=at(11, 3, 8), expires_at=at(12, 31))
    # The ladder decided the warning and the suspension (automated); the restriction a person decided.
    Penalty.objects.create(seller=acme, strike=strike1, level="warning", live_strikes=1, decided_at=at(10, 5, 14),
                           applied_at=at(10, 5, 14), seller_token="t1", automated=True)
    pe2 = Penalty.objects.create(seller=bright, strike=strike2, level="restriction", live_strikes=3,
                                 decided_at=at(10, 11, 14), applied_at=at(10, 11, 14), seller_token="t2",
                                 automated=False)
    Penalty.objects.create(seller=acme, strike=strike3, level="suspension", live_strikes=2, decided_at=at(11, 3, 9),
                           seller_token="t3", automated=True)
    clock_row(ClockKind.SELLER_PENALTY, n1, at(10, 5, 13), at(10, 8, 13), at(10, 5, 14), strike=strike1)
    clock_row(ClockKind.SELLER_PENALTY, n2, at(10, 10, 14), at(10, 13, 14), at(10, 11, 14), strike=strike2)

    # Counter-notices: two filed in October (restored after 13 days; incomplete), one last filed in
    # November after a first filing in October that was returned as incomplete: three filings in October.
    cn1 = CounterNotice.objects.create(decision=d3, filed_at=at(10, 12, 9), status="restored",
                                       restored_at=at(10, 25, 10), **COUNTER_NOTICE)
    cn2 = CounterNotice.objects.create(decision=d1, filed_at=at(10, 20, 9), status="incomplete", **COUNTER_NOTICE)
    cn3 = CounterNotice.objects.create(decision=d4, filed_at=at(11, 2, 9), status="waiting", **COUNTER_NOTICE)
    CounterNoticeFiling.objects.bulk_create([
        CounterNoticeFiling(counter_notice=cn1, filed_at=at(10, 12, 9), refiling=False),
        CounterNoticeFiling(counter_notice=cn2, filed_at=at(10, 20, 9), refiling=False),
        CounterNoticeFiling(counter_notice=cn3, filed_at=at(10, 28, 9), refiling=False),
        CounterNoticeFiling(counter_notice=cn3, filed_at=at(11, 2, 9), refiling=True)])
    clock_row(ClockKind.COUNTER_NOTICE_RESTORE, n2, at(10, 12, 10), at(10, 26, 10), at(10, 25, 10), counter_notice=cn1)

    # Appeals: three filed in October (a submitter's, reversed; a seller's, upheld; a seller's against a
    # penalty, pending), one in November. Their clocks: 6 days, and exactly 7 days, on the due time.
    ap1 = Appeal.objects.create(decision=d6, appellant="submitter", text="The design is registered.",
                                filed_at=at(10, 22, 8), status="reversed", decided_by=cr.user, decided_at=at(10, 28, 8))
    ap2 = Appeal.objects.create(decision=d1, appellant="seller", text="Genuine goods.", filed_at=at(10, 8, 10),
                                status="upheld", decided_by=cr.user, decided_at=at(10, 15, 10))
    ap3 = Appeal.objects.create(penalty=pe2, appellant="seller", text="Too harsh.", filed_at=at(10, 12, 14))
    Appeal.objects.create(decision=d4, appellant="seller", text="Parallel import.", filed_at=at(11, 5, 9))
    clock_row(ClockKind.APPEAL_DECISION, n3, at(10, 22, 8), at(10, 29, 8), at(10, 28, 8), appeal=ap1)
    clock_row(ClockKind.APPEAL_DECISION, n1, at(10, 8, 10), at(10, 15, 10), at(10, 15, 10), appeal=ap2)

    # Running now: on time (N8, tm), warning (N8, tm), breached (N9, unassigned), paused (N10, cr), and
    # breached then paused (N2, cr), which counts as breached; its breach on 19 October is in the period.
    clock_row(ClockKind.TAKEDOWN_DECISION, n8, at(11, 20, 10), at(12, 20, 10))
    clock_row(ClockKind.TAKEDOWN_EXECUTED, n8, at(11, 20, 12), at(12, 20, 12), warned_at=at(11, 28, 12),
              item=_item(n8))
    clock_row(ClockKind.TAKEDOWN_DECISION, n9, at(11, 25, 10), at(11, 26, 10), warned_at=at(11, 26, 5, 12),
              breached_at=at(11, 26, 10))
    clock_row(ClockKind.TAKEDOWN_DECISION, n10, at(11, 21, 10), at(12, 22, 10), paused_at=at(11, 21, 12))
    clock_row(ClockKind.APPEAL_DECISION, n2, at(10, 12, 14), at(10, 19, 14), appeal=ap3, warned_at=at(10, 18, 4, 48),
              breached_at=at(10, 19, 14), paused_at=at(10, 20, 9))
    return {"n1": n1, "n2": n2}


# --- Issue 14: proactive protection's figures over November 2026. ---

END = datetime(2026, 12, 1, tzinfo=UTC)  # November's end: an event at this moment belongs to December
SECOND = timedelta(seconds=1)


def build_proactive_november(reviewers: dict) -> None:
    """Issue 14's figures over a constructed November 2026 (tests/reports/test_proactive.py works them out).
    Notice-based removals (source notice): nb1 (11-05) and nb2 (the period's last second) count; nb3 came
    down exactly at its end (December's); nb4 was reversed on appeal (not in force).
    Own initiative: p1 hold (brand_term + low_price) removed 11-03, never sold; p2 stay-down block 11-12;
    p3 hold (brand_term) of a listing changed after its sale on 11-15, removed 11-20 (after the first sale);
    p4 hold (low_price) rejected 11-21; p5 block exactly at the end (December's); p6 hold by stay-down
    (another seller) 11-25, undecided; p7 hold screened 10-31, removed at November's first moment.
    Publications: three in November (one in its last second), one at its end."""
    acme, bright = Seller.objects.get(external_id="S-1"), Seller.objects.get(external_id="S-2")
    tm = reviewers["tm"].user
    notice = notice_row("TD-NB", at(11, 4, 9), (), right_type="trademark")
    notice_removal(notice, figures_listing("L-900001", acme), 1, tm, at(11, 5, 9), removed_at=at(11, 5, 10))
    notice_removal(notice, figures_listing("L-900002", acme), 2, tm, END - 2 * SECOND, removed_at=END - SECOND)
    notice_removal(notice, figures_listing("L-900003", acme), 3, tm, END - 3 * SECOND, removed_at=END)
    notice_removal(notice, figures_listing("L-900004", acme), 4, tm, at(11, 10), removed_at=at(11, 10),
                   reversed_at=at(11, 12))
    own_initiative_case(figures_listing("L-910001", bright), "hold", at(11, 2), ["brand_term", "low_price"],
                        reference="OI-1", decided="remove", decided_at=at(11, 3, 10), by=tm)
    own_initiative_case(figures_listing("L-910002", bright), "block", at(11, 12), ["staydown_same_seller"],
                        reference="OI-2")
    own_initiative_case(figures_listing("L-910003", bright, first_sold_at=at(11, 15)), "hold", at(11, 16),
                        ["brand_term"], reference="OI-3", decided="remove", decided_at=at(11, 20), by=tm)
    own_initiative_case(figures_listing("L-910004", bright), "hold", at(11, 18), ["low_price"], reference="OI-4",
                        decided="reject", decided_at=at(11, 21), by=tm)
    own_initiative_case(figures_listing("L-910005", bright), "block", END, ["staydown_same_seller"],
                        reference="OI-5")
    own_initiative_case(figures_listing("L-910006", acme), "hold", at(11, 25), ["staydown_other_seller"],
                        reference="OI-6")
    own_initiative_case(figures_listing("L-910007", bright), "hold", at(10, 31, 12), ["brand_term"],
                        reference="OI-7", decided="remove", decided_at=at(11, 1), by=tm)
    for number, moment in enumerate([at(11, 1), at(11, 8), END - SECOND, END], start=1):
        screening_row(figures_listing(f"L-92000{number}", acme), "publish", moment)
    for moment in (END - SECOND, END):
        Referral.objects.create(reference=f"RF-{moment:%d%H%M%S}", seller=bright, authority="Zoll", created_by=tm,
                                created_at=moment, archive="referrals/x.zip", sha256="0" * 64, size=1)
