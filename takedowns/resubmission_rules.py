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
- Not while the handling of the notifier's notices is suspended (DSA Art. 23(2)): a fix puts a listing
  back in review as a new notice would, and a suspended notifier's new notices are refused at
  confirmation (workflow/notifier_misuse.refuse_if_suspended); the fix can be sent once it ends, if the
  thirty days still run.
- Evidence: the files of a fix count with the notice's own (EVIDENCE_MAX_FILES, EVIDENCE_MAX_TOTAL_BYTES,
  as on the form). A rejection for want of a document (FILE_NEEDED: not enough evidence, no authorisation)
  is fixed by that document, so its fix needs a file, stored as the kind the reason asks for. The rule
  is keyed by the default codes rather than a ReasonCode flag: a code a lead adds and marks fixable
  asks for no file, and its text says what to send.
- The clock: a notice still open keeps its running takedown-decision clock. A closed notice reopens
  with a decision clock due at the original due time moved later by the working time the case waited
  for the fix (from the original clock's stop to the resubmission), as a pause for the submitter's
  answer moves it (sla.moved_by_pause): time already used before the rejection stays used.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from takedowns import appeal_rules
from takedowns.enums import DecisionOutcome, EvidenceKind, ItemState, NoticeStatus, NotifierScope
from takedowns.models import Decision, NotifierMeasure, Resubmission

RESUBMISSION_DAYS = 30

# The reasons fixed only by a document: the kind its files are stored as, and what to attach.
FILE_NEEDED = {
    # Translators: what a fix must attach; it ends the sentence "… for want of a document: attach %(document)s".
    "insufficient-evidence": (EvidenceKind.OTHER, gettext_lazy(
        "the new evidence (a test-buy report, photos comparing the genuine and the listed item, or the registration "
        "certificate)")),
    # Translators: what a fix must attach; it ends the sentence "… for want of a document: attach %(document)s".
    "authorisation-missing": (EvidenceKind.AUTHORISATION_LETTER, gettext_lazy(
        "the rights owner's signed letter authorising you for this right")),
}


@dataclass(frozen=True)
class Offer:
    """Whether the rejection on the tracking page can be fixed and resubmitted: `refusal` is empty when
    it can (until `deadline`), else it says why not. `resubmission`: the one filed, if any."""
    decision: Decision
    deadline: datetime
    refusal: str
    resubmission: Resubmission | None = None

    @property
    def file_needed(self) -> str:
        """The document the fix must attach (FILE_NEEDED), or "" when files are optional."""
        code = self.decision.reason_code.code if self.decision.reason_code else ""
        return str(FILE_NEEDED.get(code, (EvidenceKind.OTHER, ""))[1])


def deadline(decision: Decision) -> datetime:
    return decision.decided_at + timedelta(days=RESUBMISSION_DAYS)


def is_fixable(decision: Decision) -> bool:
    return (decision.outcome == DecisionOutcome.REJECT and decision.reason_code is not None
            and decision.reason_code.fixable)


def refusal(decision: Decision, *, resubmitted: bool, appealed: bool, now: datetime,
            suspension: NotifierMeasure | None = None) -> str:
    """Why this decision cannot be fixed and resubmitted now, or "" when it can. `resubmitted`: the
    listing was resubmitted once already (whichever decision it answered); `appealed`: the submitter
    appealed this decision; `suspension`: the suspension of the submitter's notice handling in force at
    `now` (selectors.notifiers.suspension_for), if any."""
    item = decision.item
    if decision.outcome != DecisionOutcome.REJECT or item.state != ItemState.REJECTED:
        return _("Listing %(position)s is “%(state)s”: only a rejected listing can be resubmitted.") % {
            "position": item.position, "state": item.get_state_display()}
    if decision.reversed_at is not None or decision.superseded_at is not None:
        return _("The rejection of listing %(position)s was set aside; there is nothing to fix.") % {
            "position": item.position}
    if not is_fixable(decision):
        return _("Listing %(position)s was rejected for a reason more evidence does not change; if you think the "
                 "rejection is wrong, appeal it.") % {"position": item.position}
    if resubmitted:
        return _("Listing %(position)s was already fixed and resubmitted once; if you think this rejection is "
                 "wrong, appeal it.") % {"position": item.position}
    if appealed:
        return _("You appealed the rejection of listing %(position)s; the appeal decides it.") % {
            "position": item.position}
    if item.notice.status not in (NoticeStatus.IN_REVIEW, NoticeStatus.AWAITING_SUBMITTER, NoticeStatus.CLOSED):
        return _("This notice is “%(status)s”; its listings can no longer be resubmitted.") % {
            "status": item.notice.get_status_display()}
    if item.notice.anonymised_at is not None:
        return _("This case's personal data was removed under our retention policy; file a new notice.")
    if now > deadline(decision):
        return _("A listing can be fixed and resubmitted within %(days)d days of its rejection; that time is over. "
                 "File a new notice with the evidence.") % {"days": RESUBMISSION_DAYS}
    if suspension is not None and suspension.ends_at is not None:
        return suspension_refusal(suspension)
    return ""


def suspension_refusal(suspension: NotifierMeasure) -> str:
    """The refusal of a fix while the notifier's notice handling is suspended (DSA Art. 23(2))."""
    assert suspension.ends_at is not None  # a suspension always has its end
    values = {"notifier": suspension.notifier,
              "until": appeal_rules.when(suspension.ends_at)}
    if suspension.scope == NotifierScope.EMAIL:
        return _("The handling of notices from %(notifier)s is suspended until %(until)s, because too many of them "
                 "were manifestly unfounded (DSA Art. 23(2)): no listing can be fixed and resubmitted while it "
                 "lasts. The measure, and how to appeal it, are on the notice's tracking page.") % values
    return _("The handling of notices from the addresses at %(notifier)s is suspended until %(until)s, because too "
             "many of them were manifestly unfounded (DSA Art. 23(2)): no listing can be fixed and resubmitted "
             "while it lasts. The measure, and how to appeal it, are on the notice's tracking page.") % values


def evidence_kind(decision: Decision) -> str:
    """The kind a fix's files are stored as: the document the rejection asked for, else other evidence."""
    code = decision.reason_code.code if decision.reason_code else ""
    return FILE_NEEDED.get(code, (EvidenceKind.OTHER, ""))[0]


def files_refusal(decision: Decision, sizes: list[int], held_files: int, held_bytes: int) -> str:
    """Why a fix with files of these `sizes` cannot be accepted on a notice already carrying `held_files`
    files of `held_bytes` (evidence.held_by), or "" when it can: a document the reason asks for, and the
    notice's limits counted with what it carries."""
    position = decision.item.position
    needed = FILE_NEEDED.get(decision.reason_code.code if decision.reason_code else "")
    if needed is not None and not sizes:
        return _("Listing %(position)s was rejected for want of a document: attach %(document)s (PDF, PNG or JPEG) "
                 "to fix it.") % {"position": position, "document": needed[1]}
    limit_files, limit_bytes = settings.EVIDENCE_MAX_FILES, settings.EVIDENCE_MAX_TOTAL_BYTES
    if held_files + len(sizes) > limit_files:
        room = max(limit_files - held_files, 0)
        if room == 0:  # full: the evidence can only come with a new notice
            return _("A notice may carry at most %(limit)d evidence files and this one carries %(held)d already, so "
                     "no file can be added to it: file a new notice with the new evidence.") % {
                "limit": limit_files, "held": held_files}
        return _("A notice may carry at most %(limit)d evidence files; this one carries %(held)d already, so you can "
                 "add %(room)d (you attached %(attached)d).") % {
            "limit": limit_files, "held": held_files, "room": room, "attached": len(sizes)}
    if held_bytes + sum(sizes) > limit_bytes:
        return _("With your files the notice's evidence would add up to %(total)s; a notice may carry at most "
                 "%(limit)s and this one carries %(held)s already. Remove or shrink some files.") % {
            "total": filesizeformat(held_bytes + sum(sizes)), "limit": filesizeformat(limit_bytes),
            "held": filesizeformat(held_bytes)}
    return ""
