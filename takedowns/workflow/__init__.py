"""The only code that changes state: a notice's status, its items' states, and every row that
records a step of the case (decisions, clocks, strikes, penalties, counter-notices, appeals).

Each public function is one transition. In order it: refuses what the transition map does not
allow (veto), changes the data, writes the status with a conditional UPDATE (so two concurrent
callers never both succeed), writes an immutable Event in the same transaction, and asks for
e-mails and tasks after commit (emails.py stores them in the outbox; dispatch.py names the
tasks), so nothing is sent for a change that was rolled back.

base.py      the status write and the event record, shared by every module here
filing.py    file, confirm, expire, withdraw: the submitter's side
routing.py   resolve the listings, score the priority, assign a reviewer
review.py    claim, release, reassign, escalate, decide, ask the submitter, their answer
enforcement.py  the takedown at the marketplace, strikes, seller penalties, restores
clocks.py    SLA clocks and the beat's warnings and breaches
counter_notices.py, appeals.py  the seller's and the submitter's answers to a decision
registry.py  a right registered by its holder: confirm, verify or reject (a lead), change, withdraw, expire
"""

from takedowns.workflow.base import SUBMITTER, SYSTEM, Actor, TransitionNotAllowed, change_status
from takedowns.workflow.enforcement import record_takedown
from takedowns.workflow.filing import (
    ConfirmationsWaiting,
    ReportedItem,
    confirm_notice,
    expire_unconfirmed,
    file_for_organisation,
    file_notice,
    new_reference,
    withdraw_notice,
)
from takedowns.workflow.review import (
    ItemDecision,
    Question,
    answer_information,
    claim_notice,
    decide_hold,
    decide_items,
    escalate_notice,
    expire_information_requests,
    reassign_notice,
    release_notice,
    request_information,
)
from takedowns.workflow.routing import (
    close_undecidable_notices,
    route_notice,
    route_notices,
    route_with_waiting,
    save_resolution,
    unrouted_notice_ids,
)

__all__ = [
    "SUBMITTER", "SYSTEM", "Actor", "ConfirmationsWaiting", "ItemDecision", "Question", "ReportedItem",
    "TransitionNotAllowed",
    "answer_information", "change_status", "claim_notice", "close_undecidable_notices", "confirm_notice",
    "decide_hold", "decide_items", "escalate_notice",
    "expire_information_requests", "expire_unconfirmed", "file_for_organisation", "file_notice", "new_reference",
    "reassign_notice",
    "record_takedown", "release_notice", "request_information", "route_notice", "save_resolution",
    "unrouted_notice_ids", "withdraw_notice",
    "route_notices", "route_with_waiting",
]
