"""The only code that changes a notice's status (or its items' states).

Each public function is one transition. In order it: refuses what the transition map does
not allow (veto), changes the data, writes the status with a conditional UPDATE (so two
concurrent callers never both succeed), writes an immutable Event in the same transaction,
and schedules e-mails and tasks with transaction.on_commit, so nothing is sent for a change
that was rolled back.

base.py holds the status write and the event record; filing.py the submitter's side (file,
confirm, route, withdraw, expire); review.py the reviewer's side (claim, reassign, escalate,
decide, ask, take down).
"""

from takedowns.workflow.base import SUBMITTER, SYSTEM, Actor, TransitionNotAllowed, _change_status
from takedowns.workflow.filing import (
    ReportedItem,
    _save_resolution,
    confirm_notice,
    expire_unconfirmed,
    file_notice,
    new_reference,
    route_notice,
    unrouted_notice_ids,
    withdraw_notice,
)
from takedowns.workflow.review import (
    ItemDecision,
    answer_information,
    claim_notice,
    decide_items,
    escalate_notice,
    expire_information_requests,
    reassign_notice,
    record_takedown,
    release_notice,
    request_information,
)

__all__ = [
    "SUBMITTER", "SYSTEM", "Actor", "ItemDecision", "ReportedItem", "TransitionNotAllowed", "_change_status",
    "_save_resolution", "answer_information", "claim_notice", "confirm_notice", "decide_items", "escalate_notice",
    "expire_information_requests", "expire_unconfirmed", "file_notice", "new_reference", "reassign_notice",
    "record_takedown", "release_notice", "request_information", "route_notice", "unrouted_notice_ids", "withdraw_notice",
]
