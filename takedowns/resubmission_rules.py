"""Fix and resubmit (PRODUCT.md, beyond every anchor #2): which rejected listings the submitter may fix
on the same case, until when, and what "keeps the clock" means. Pure functions of the rows and `now`;
workflow/resubmissions.py applies them, the tracking page shows them.

- Fixable: a rejection whose reason code a lead marked `fixable` (by default "Not enough evidence",
  "Authorisation not shown", "The listing does not use the right": something the submitter can add).
  A finding on the merits ("Genuine goods resold lawfully") or a right that does not fit the listing
  ("The registration does not match the listing") is not fixed by more paper: those get an appeal, or
  a new notice with the right that fits.
- Once per listing: a fix is a second look on the same clock, not a loop. A listing rejected again
  after its fix is contested by appeal (DSA Art. 20), which stays open for every rejection.
- Within RESUBMISSION_DAYS calendar days of the rejection (wall-clock, from Decision.decided_at): long
  enough to order and receive a test buy or get a signed authorisation letter, short enough that the
  listing and its seller are still those the notice described; later, a new notice.
- Not while the submitter's appeal of the same rejection is open or decided: one route per rejection.
- The clock: a notice still open keeps its running takedown-decision clock. A closed notice reopens
  with a decision clock due at the original due time moved later by the working time the case waited
  for the fix (from the original clock's stop to the resubmission), as a pause for the submitter's
  answer moves it (sla.moved_by_pause): time already used before the rejection stays used.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from takedowns.enums import DecisionOutcome, ItemState, NoticeStatus
from takedowns.models import Decision, Resubmission

RESUBMISSION_DAYS = 30


@dataclass(frozen=True)
class Offer:
    """Whether the rejection on the tracking page can be fixed and resubmitted: `refusal` is empty when
    it can (until `deadline`), else it says why not. `resubmission`: the one filed, if any."""
    decision: Decision
    deadline: datetime
    refusal: str
    resubmission: Resubmission | None = None


def deadline(decision: Decision) -> datetime:
    return decision.decided_at + timedelta(days=RESUBMISSION_DAYS)


def is_fixable(decision: Decision) -> bool:
    return (decision.outcome == DecisionOutcome.REJECT and decision.reason_code is not None
            and decision.reason_code.fixable)


def refusal(decision: Decision, *, resubmitted: bool, appealed: bool, now: datetime) -> str:
    """Why this decision cannot be fixed and resubmitted now, or "" when it can. `resubmitted`: the
    listing was resubmitted once already (whichever decision it answered); `appealed`: the submitter
    appealed this decision."""
    item = decision.item
    if decision.outcome != DecisionOutcome.REJECT or item.state != ItemState.REJECTED:
        return f"Listing {item.position} is '{item.get_state_display()}': only a rejected listing can be resubmitted."
    if decision.reversed_at is not None or decision.superseded_at is not None:
        return f"The rejection of listing {item.position} was set aside; there is nothing to fix."
    if not is_fixable(decision):
        return (f"Listing {item.position} was rejected for a reason more evidence does not change; "
                "if you think the rejection is wrong, appeal it.")
    if resubmitted:
        return (f"Listing {item.position} was already fixed and resubmitted once; "
                "if you think this rejection is wrong, appeal it.")
    if appealed:
        return f"You appealed the rejection of listing {item.position}; the appeal decides it."
    if item.notice.status not in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER, NoticeStatus.CLOSED):
        return f"This notice is '{item.notice.get_status_display()}'; its listings can no longer be resubmitted."
    if item.notice.anonymised_at is not None:
        return "This case's personal data was removed under our retention policy; file a new notice."
    if now > deadline(decision):
        return (f"A listing can be fixed and resubmitted within {RESUBMISSION_DAYS} days of its rejection; "
                "that time is over. File a new notice with the evidence.")
    return ""
