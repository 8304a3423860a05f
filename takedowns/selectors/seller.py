"""The seller's two private pages: the statement of reasons for a removed listing (with the
counter-notice and the appeal), and the statement for a penalty on their account (with the appeal)."""

from dataclasses import dataclass
from datetime import datetime

from takedowns import appeal_rules, legal
from takedowns.enums import Appellant
from takedowns.models import CounterNotice, Decision, Penalty


@dataclass
class StatementPage:
    decision: Decision
    counter_notice: CounterNotice | None
    may_counter: bool  # the counter-notice form is open: a first one, or the correction of an incomplete one
    appeal: appeal_rules.Window


def statement_page(decision: Decision, now: datetime) -> StatementPage:
    counter_notice = CounterNotice.objects.filter(decision=decision).first()
    if counter_notice is not None:  # the restore date as the page states it, in the counter-notice time zone
        counter_notice.restore_at = (legal.restore_time_text(counter_notice.restore_due_at)
                                     if counter_notice.restore_due_at else "")
    return StatementPage(decision, counter_notice, legal.may_file_counter_notice(decision, counter_notice),
                         appeal_rules.window(decision=decision, appellant=Appellant.SELLER, now=now))


def penalty_appeal(penalty: Penalty, now: datetime) -> appeal_rules.Window:
    return appeal_rules.window(penalty=penalty, appellant=Appellant.SELLER, now=now)
