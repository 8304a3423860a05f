"""One small function per kind of e-mail. Each renders templates/emails/<kind>.{subject.txt,txt,html}
into an OutboundEmail row and hands it to the outbox (outbox.py), which stores it in the caller's
transaction and sends it from a task after commit.

Each message is written in its recipient's language, rendered under translation.override when it is
recorded (issue 13): the submitter's choice on the form (_submitter_language), the seller's language
from the marketplace (_seller_language), English for staff (_staff_language: the reviewers' area stays
English). Every function passes the language of its recipient explicitly to make_message/_render."""

from collections import Counter
from datetime import datetime
from functools import partial
from typing import overload

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from takedowns import appeal_rules, legal, notifier_ladder, outbox, resubmission_rules, tdb
from takedowns.enums import EEA_COUNTRIES, LEAD_GROUP, ItemState, NoticeSource
from takedowns.models import (
    Appeal,
    CounterNotice,
    Decision,
    InfoRequest,
    Notice,
    NoticeItem,
    NotifierAppeal,
    NotifierMeasure,
    NotifierProposal,
    Organisation,
    OutboundEmail,
    Penalty,
    Resubmission,
    Reviewer,
    Right,
    Seller,
    SlaClock,
)
from takedowns.selectors import notifiers


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _when(moment: datetime | None) -> datetime:
    """When the step a message reports happened: the step is recorded before its message is written."""
    if moment is None:
        raise ValueError("A message reports a step that has happened, but the step has no time.")
    return moment


def message_language(code: str | None) -> str:
    """The language a message is written in: `code` as one of the site's languages (a legacy "zh" is
    read as Django's "zh-hans"), or the site's default (English) for an empty or unknown code."""
    try:
        return translation.get_supported_language_variant(code or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def _submitter_language(notice: Notice) -> str:
    """The notifier's choice on the form ("Language for our messages")."""
    return notice.language


def _seller_language(seller: Seller) -> str:
    """The seller's language, as the marketplace adapter mirrors it (marketplace.py)."""
    return seller.language


def _staff_language() -> str:
    """Reviewers and leads: the staff area and its mail stay in the site's language (English)."""
    return settings.LANGUAGE_CODE


def _notifier_language(address: str) -> str:
    """A notifier measure concerns an address, not one notice: the language chosen on the address's
    latest notice."""
    chosen = (Notice.objects.filter(submitter_email__iexact=address).order_by("-created_at")
              .values_list("language", flat=True).first())
    return chosen or settings.LANGUAGE_CODE


@overload
def make_message(kind: str, to: str, context: dict, notice: None, now: datetime, *, language: str) -> OutboundEmail:
    ...


@overload
def make_message(kind: str, to: str, context: dict, notice: Notice, now: datetime, *,
                 language: str) -> OutboundEmail | None:
    ...


def make_message(kind: str, to: str, context: dict, notice: Notice | None, now: datetime, *,
                 language: str) -> OutboundEmail | None:
    """The e-mail, stored for sending; None for one addressed to the submitter of an own-initiative case."""
    if to_no_notifier(to, notice):
        return None
    return outbox.store([_render(kind, to, context, notice, now, language=language)])[0]


def to_no_notifier(to: str, notice: Notice | None) -> bool:
    """Whether `to` is the submitter of an own-initiative case (listing screening, issue 14). Such a case has
    no notifier: its submitter fields name the marketplace itself, so the decisions, answers and appeal
    outcomes a notifier would be told of go to nobody. The one guard, in make_message, the way every
    submitter's e-mail is written."""
    return notice is not None and notice.source == NoticeSource.SCREENING and to == notice.submitter_email


def _render(kind: str, to: str, context: dict, notice: Notice | None, now: datetime, *,
            language: str) -> OutboundEmail:
    """The e-mail as a row, not saved yet, written in `language` (its recipient's): the templates, the
    legal texts, dates and numbers are all rendered under that language."""
    language = message_language(language)
    with translation.override(language):
        # The appeal window: the redress every decision's message states (DSA Art. 16(5), 17(3)(f), 20).
        context = {"site_url": settings.SITE_URL, "notice": notice, "appeal_window": legal.appeal_window_text(),
                   **context, "language": language}
        if notice is not None:
            context.setdefault("tracking_url", absolute(notice.tracking_path()))
        subject = " ".join(render_to_string(f"emails/{kind}.subject.txt", context).split())
        return OutboundEmail(
            notice=notice, kind=kind, to=to, subject=subject, language=language,
            body_text=render_to_string(f"emails/{kind}.txt", context),
            body_html=render_to_string(f"emails/{kind}.html", context),
            created_at=now,
        )


def confirmation_request(notice: Notice, item_count: int) -> OutboundEmail | None:
    context = {"confirm_url": absolute(notice.confirmation_path()), "item_count": item_count}
    return make_message("confirm_notice", notice.submitter_email, context, notice, notice.created_at,
                        language=_submitter_language(notice))


def notice_received(notice: Notice, item_count: int | None = None) -> OutboundEmail | None:
    """`item_count`: the notice's listings when the caller has them in hand (no count query)."""
    context = {"item_count": notice.items.count() if item_count is None else item_count}
    return make_message("notice_received", notice.submitter_email, context, notice, _when(notice.confirmed_at),
                        language=_submitter_language(notice))


def notice_routed(notice: Notice, items: list[NoticeItem], reviewer: Reviewer | None) -> list[OutboundEmail]:
    """Routing's e-mails: the submitter's "with a reviewer" and the reviewer's new assignment, or,
    for a high-risk notice no designated reviewer could take, one to each lead; stored in one INSERT
    and sent by one task."""
    return outbox.store(routed_messages(notice, items, reviewer))


def nothing_to_decide(notice: Notice, items: list[NoticeItem]) -> OutboundEmail | None:
    """To the submitter of a notice closed at routing because none of its listings can be decided: each
    listing's outcome and how to file it again (DSA Art. 16(5): the decision, without undue delay, with
    the redress). A duplicate names the open notice it duplicates only when that notice is the submitter's
    own: another notifier's reference is theirs."""
    originals = NoticeItem.objects.select_related("notice").in_bulk(
        [item.duplicate_of_id for item in items if item.duplicate_of_id])
    rows = []
    for item in sorted(items, key=lambda item: item.position):
        original = originals.get(item.duplicate_of_id) if item.duplicate_of_id else None
        yours = original is not None and original.notice.submitter_email.lower() == notice.submitter_email.lower()
        rows.append({"item": item, "original": original, "yours": yours})
    return make_message("nothing_to_decide", notice.submitter_email, {"rows": rows}, notice, _when(notice.closed_at),
                        language=_submitter_language(notice))


def items_decided(notice: Notice, decisions: list[Decision]) -> OutboundEmail | None:
    # Decided in one step, so one deadline for every fixable rejection among them. The fix is offered
    # only where resubmission_rules would accept it now: not for a listing already fixed once.
    # Each decision with why its fix cannot be offered ("" when it can; resubmission_rules.refusal): a
    # fixable reason whose fix is refused gets that refusal, not the reason's text pointing to the button.
    # Asked only when a fix could be offered at all: most decisions (removals, findings) skip both queries.
    fixable = [decision.item_id for decision in decisions if resubmission_rules.is_fixable(decision)]
    fixed = set(Resubmission.objects.filter(item__in=fixable).values_list("item_id", flat=True)) if fixable else set()
    suspension = notifiers.suspension_for(notice.submitter_email, decisions[0].decided_at) if fixable else None
    # Each refusal is a function the template calls inside _render's translation.override: its words
    # come in the submitter's language.
    rows = [(decision, partial(resubmission_rules.refusal, decision, resubmitted=decision.item_id in fixed,
                               appealed=False, now=decision.decided_at, suspension=suspension))
            for decision in decisions]
    context = {"decisions": decisions, "rows": rows,
               "resubmission_deadline": resubmission_rules.deadline(decisions[0])}
    return make_message("items_decided", notice.submitter_email, context, notice, decisions[0].decided_at,
                        language=_submitter_language(notice))


def statement_of_reasons(decision: Decision) -> OutboundEmail | None:
    """To the seller of a removed listing (DSA Art. 17). Sellers without an address on file get
    theirs through the marketplace; the statement stays on their private page either way."""
    listing = decision.item.decided_listing
    seller = listing.seller
    if not seller.email:
        return None
    # Not attached to the notice: the submitter's tracking page must not show the seller's private link.
    context = {"decision": decision, "case": decision.item.notice, "item": decision.item,
               "listing": listing, "seller": seller, "seller_url": absolute(decision.seller_path()),
               "grounds": tdb.grounds_of(decision)}
    return make_message("statement_of_reasons", seller.email, context, None, decision.decided_at,
                        language=_seller_language(seller))


def penalty_statement(penalty: Penalty) -> OutboundEmail | None:
    """To the seller: the account measure and its reasons (DSA Art. 17), with the private link to appeal."""
    seller = penalty.seller
    if not seller.email:
        return None
    context = {"penalty": penalty, "seller": seller, "case": penalty.strike.notice,
               "seller_url": absolute(penalty.seller_path()), "territorial_scope": ", ".join(EEA_COUNTRIES),
               "strike_days": settings.STRIKE_EXPIRY_DAYS}
    return make_message("penalty_statement", seller.email, context, None, _when(penalty.applied_at),
                        language=_seller_language(seller))


def information_requested(notice: Notice, request: InfoRequest, items: list[NoticeItem]) -> OutboundEmail | None:
    return make_message("information_requested", notice.submitter_email, {"request": request, "items": items},
                        notice, request.requested_at, language=_submitter_language(notice))


def information_expired(notice: Notice, request: InfoRequest, items: list[NoticeItem]) -> OutboundEmail | None:
    return make_message("information_expired", notice.submitter_email, {"request": request, "items": items},
                        notice, _when(request.expired_at), language=_submitter_language(notice))


def new_assignment(notice: Notice, reviewer: Reviewer, now: datetime) -> OutboundEmail | None:
    """To the reviewer who now has the notice (a reassignment; routing sends it with notice_routed)."""
    if not reviewer.user.email:
        return None
    return outbox.store([_new_assignment(notice, reviewer, now)])[0]


def _new_assignment(notice: Notice, reviewer: Reviewer, now: datetime) -> OutboundEmail:
    # Staff mail is not attached to the notice: the submitter's tracking page shows only the
    # submitter's own e-mails.
    context = {"case": notice, "reviewer": reviewer,
               "review_url": absolute(reverse("takedowns:review_notice", args=[notice.reference]))}
    return _render("new_assignment", reviewer.user.email, context, None, now, language=_staff_language())


def information_answered(notice: Notice, request: InfoRequest, items: list[NoticeItem]) -> OutboundEmail | None:
    """To the reviewer working the notice: the listings they asked about are back with them."""
    reviewer = notice.assigned_to
    if reviewer is None or not reviewer.user.email:
        return None  # unassigned: the notice is back in the shared queue
    files = list(request.files.order_by("id"))
    context = {"case": notice, "request": request, "items": items, "reviewer": reviewer, "files": files,
               "positions": ", ".join(str(item.position) for item in items),
               "file_names": ", ".join(file.original_name for file in files),
               "review_url": absolute(reverse("takedowns:review_notice", args=[notice.reference]))}
    return make_message("information_answered", reviewer.user.email, context, None, _when(request.answered_at),
                        language=_staff_language())


def resubmission_received(resubmission: Resubmission) -> OutboundEmail | None:
    """To the submitter: their fix of a rejected listing is back with a reviewer (fix and resubmit)."""
    notice = resubmission.notice
    files = list(resubmission.files.order_by("id"))
    context = {"resubmission": resubmission, "item": resubmission.item, "decision": resubmission.decision,
               "files": files, "file_names": ", ".join(file.original_name for file in files)}
    return make_message("resubmission_received", notice.submitter_email, context, notice, resubmission.filed_at,
                        language=_submitter_language(notice))


def resubmission_to_review(resubmission: Resubmission) -> OutboundEmail | None:
    """To the reviewer the fixed listing went to (none: it waits in the shared queue)."""
    reviewer = resubmission.reviewer
    if reviewer is None or not reviewer.user.email:
        return None
    notice = resubmission.notice
    files = list(resubmission.files.order_by("id"))
    context = {"case": notice, "resubmission": resubmission, "item": resubmission.item, "reviewer": reviewer,
               "decision": resubmission.decision, "files": files,
               "file_names": ", ".join(file.original_name for file in files),
               "review_url": absolute(reverse("takedowns:review_notice", args=[notice.reference]))}
    # Staff mail is not attached to the notice: the tracking page shows only the submitter's e-mails.
    return make_message("resubmission_to_review", reviewer.user.email, context, None, resubmission.filed_at,
                        language=_staff_language())


def _clock_context(clock: SlaClock) -> dict:
    return {"clock": clock, "case": clock.notice,
            "review_url": absolute(reverse("takedowns:review_notice", args=[clock.notice.reference]))}


def clock_warning(clock: SlaClock, recipients: list[User], now: datetime) -> list[OutboundEmail]:
    """To the notice's reviewer (or the leads when nobody has it): a clock is about to breach."""
    return [make_message("clock_warning", user.email, {**_clock_context(clock), "user": user}, None, now,
                         language=_staff_language()) for user in recipients]


def clock_breached(clock: SlaClock, leads: list[User], now: datetime) -> list[OutboundEmail]:
    return [make_message("clock_breached", lead.email, {**_clock_context(clock), "user": lead}, None, now,
                         language=_staff_language()) for lead in leads]


def _leads() -> list[User]:
    return list(get_user_model().objects.filter(groups__name=LEAD_GROUP, is_active=True).exclude(email="")
                .order_by("pk"))


def escalation(notice: Notice, reviewer: Reviewer, note: str, now: datetime) -> list[OutboundEmail]:
    context = {"case": notice, "reviewer": reviewer, "note": note,
               "review_url": absolute(reverse("takedowns:review_notice", args=[notice.reference]))}
    return [make_message("escalation", lead.email, context, None, now, language=_staff_language())
            for lead in _leads()]


def _appeal_context(appeal: Appeal) -> dict:
    """What every appeal e-mail names: what was appealed, on which case, and the appellant's page."""
    against = appeal_rules.subject(appeal)
    context: dict[str, object] = {"appeal": appeal, "decision": appeal.decision, "penalty": appeal.penalty}
    if isinstance(against, Penalty):
        context = {**context, "case": against.strike.notice, "item": None, "listing": None, "seller": against.seller,
                   "seller_url": absolute(against.seller_path())}
    else:
        listing = against.item.decided_listing
        context = {**context, "case": against.item.notice, "item": against.item, "listing": listing,
                   "seller": listing.seller,
                   "seller_url": absolute(against.seller_path()) if against.seller_token else ""}
    # What was appealed, as one phrase ("the removal of your listing ..."): a function, so that the
    # template renders it inside _render's translation.override, and a whole sentence can hold it.
    context["what"] = partial(render_to_string, "emails/appeal_part_what.txt", context)
    return context


def _to_appellant(kind: str, appeal: Appeal, context: dict, now: datetime) -> OutboundEmail | None:
    """A seller's mail goes to the address on file and stays off the notice (the submitter's
    tracking page must not show the seller's private link); a submitter's is attached to the notice."""
    if appeal.appellant == "seller":
        seller = context["seller"]
        return make_message(kind, seller.email, context, None, now,
                            language=_seller_language(seller)) if seller.email else None
    case = context["case"]
    return make_message(kind, case.submitter_email, context, case, now, language=_submitter_language(case))


def appeal_received(appeal: Appeal, due_at: datetime) -> OutboundEmail | None:
    return _to_appellant("appeal_received", appeal, {**_appeal_context(appeal), "due_at": due_at}, appeal.filed_at)


def appeal_decided(appeal: Appeal) -> OutboundEmail | None:
    return _to_appellant("appeal_decided", appeal, _appeal_context(appeal), _when(appeal.decided_at))


def appeal_listing_restored(appeal: Appeal) -> OutboundEmail | None:
    """To the submitter: the seller's appeal reversed the removal of a listing they reported."""
    context = _appeal_context(appeal)
    return make_message("appeal_listing_restored", context["case"].submitter_email, context, context["case"],
                        _when(appeal.decided_at), language=_submitter_language(context["case"]))


def notice_withdrawn(notice: Notice) -> OutboundEmail | None:
    return make_message("notice_withdrawn", notice.submitter_email, {}, notice, _when(notice.closed_at),
                        language=_submitter_language(notice))


# --- Counter-notices (DMCA 512(g)). The seller's mail goes to the address in the counter-notice and
# is not attached to the notice: the tracking page must not show the seller's private link. The
# rights holder's mail is attached, so it shows on the tracking page too. ---

def _counter_notice_context(counter_notice: CounterNotice) -> dict:
    item = counter_notice.decision.item
    # The legal texts are passed as functions: the template calls them inside _render's translation.override,
    # so they come in the recipient's language. The sworn statements stay as filed (English, binding).
    return {"counter_notice": counter_notice, "decision": counter_notice.decision, "item": item,
            "listing": item.listing, "case": item.notice, "statement_mistake": legal.STATEMENT_MISTAKE,
            "statement_jurisdiction": legal.STATEMENT_JURISDICTION, "window": legal.window_text,
            "window_from_receipt": not settings.COUNTER_NOTICE_WINDOW_SECONDS,
            "restore_rule": legal.restore_rule_text, **_restore_context(counter_notice)}


def _restore_context(counter_notice: CounterNotice) -> dict:
    """The restore date in the counter-notice's US time zone, and the rule that set it (legal.restore_plan)."""
    if counter_notice.restore_due_at is None or counter_notice.checked_at is None:
        return {}
    plan = legal.restore_plan(counter_notice.filed_at, counter_notice.checked_at)
    restored_at = counter_notice.restored_at
    return {"restore_at": partial(legal.restore_time_text, counter_notice.restore_due_at),
            "restore_reason": partial(legal.restore_reason_text, plan),
            "restore_rule_planned": plan.rule == legal.RESTORE_PLANNED,
            "restored_at": partial(legal.restore_time_text, restored_at) if restored_at else ""}


def _to_seller(kind: str, counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    context = {**_counter_notice_context(counter_notice),
               "seller_url": absolute(counter_notice.decision.seller_path())}
    return make_message(kind, counter_notice.email, context, None, now,
                        language=_seller_language(counter_notice.decision.item.decided_listing.seller))


def _to_rights_holder(kind: str, counter_notice: CounterNotice, now: datetime) -> OutboundEmail | None:
    notice = counter_notice.decision.item.notice
    return make_message(kind, notice.submitter_email, _counter_notice_context(counter_notice), notice, now,
                        language=_submitter_language(notice))


def counter_notice_filed(counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    return _to_seller("counter_notice_filed", counter_notice, now)


def counter_notice_incomplete(counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    return _to_seller("counter_notice_incomplete", counter_notice, now)


def counter_notice_accepted(counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    return _to_seller("counter_notice_accepted", counter_notice, now)


def counter_notice_copy(counter_notice: CounterNotice, now: datetime) -> OutboundEmail | None:
    """The copy of the counter-notice that 512(g)(2)(B) requires, with the restore date."""
    return _to_rights_holder("counter_notice_copy", counter_notice, now)


def counter_notice_lawsuit_received(counter_notice: CounterNotice, now: datetime) -> OutboundEmail | None:
    return _to_rights_holder("counter_notice_lawsuit_received", counter_notice, now)


def counter_notice_lawsuit_seller(counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    return _to_seller("counter_notice_lawsuit_seller", counter_notice, now)


def counter_notice_lawsuit_staff(counter_notice: CounterNotice, users: list[User],
                                 now: datetime) -> list[OutboundEmail]:
    context = {**_counter_notice_context(counter_notice),
               "review_url": absolute(reverse("takedowns:review_counter_notice", args=[counter_notice.pk]))}
    return [make_message("counter_notice_lawsuit_staff", user.email, {**context, "user": user}, None, now,
                         language=_staff_language()) for user in users]


def counter_notice_window_missed_staff(counter_notice: CounterNotice, now: datetime) -> list[OutboundEmail]:
    """To every lead: a counter-notice was found complete after the 14th business day following its
    receipt, so its restore comes after the latest date 512(g)(2)(C) allows."""
    context = {**_counter_notice_context(counter_notice),
               "review_url": absolute(reverse("takedowns:review_counter_notice", args=[counter_notice.pk]))}
    return outbox.store([_render("counter_notice_window_missed_staff", lead.email, {**context, "user": lead}, None,
                                 now, language=_staff_language()) for lead in _leads()])


def counter_notice_restored_seller(counter_notice: CounterNotice, now: datetime) -> OutboundEmail:
    return _to_seller("counter_notice_restored_seller", counter_notice, now)


def counter_notice_restored_rights_holder(counter_notice: CounterNotice, now: datetime) -> OutboundEmail | None:
    return _to_rights_holder("counter_notice_restored_rights_holder", counter_notice, now)


# --- Notifier misuse (DSA Art. 23(2)-(3)). A measure concerns the notifier, not one notice: its mail
# is attached to none (the tracking pages show the measure itself). The refusal of a notice is
# attached to it, so it shows on that notice's tracking page. Leads are e-mailed each proposal and
# each appeal: their page (/review/notifiers/) is the work list. ---

def _proposal_context(proposal: NotifierProposal) -> dict:
    return {"proposal": proposal, "codes": notifiers.reason_titles(proposal),
            "share": notifier_ladder.share_percent(proposal.unfounded_listings, proposal.decided_listings),
            "policy_url": absolute(reverse("takedowns:policy_notifier_misuse"))}


def notifier_proposal_raised(proposal: NotifierProposal, now: datetime) -> list[OutboundEmail]:
    """To every lead: a notifier crossed the threshold, with the figures; a lead decides or dismisses."""
    context = {**_proposal_context(proposal),
               "review_url": absolute(reverse("takedowns:notifier_proposal", args=[proposal.pk]))}
    return outbox.store([_render("notifier_proposal_raised", lead.email, {**context, "user": lead}, None, now,
                                 language=_staff_language()) for lead in _leads()])


def _measure_context(measure: NotifierMeasure) -> dict:
    return {**_proposal_context(measure.proposal), "measure": measure,
            "measure_url": absolute(measure.private_path()),
            "appeal_deadline": notifier_ladder.appeal_deadline(measure)}


def notifier_measure_statement(measure: NotifierMeasure, following: notifier_ladder.Step) -> list[OutboundEmail]:
    """The statement of reasons (DSA Art. 23(3)) to each of the notifier's addresses, with the private
    link to appeal; `following` is the ladder's step after this one."""
    context = {**_measure_context(measure), "following": following}
    return outbox.store([_render("notifier_measure", to, context, None, _when(measure.decided_at),
                                 language=_notifier_language(to)) for to in measure.recipients])


def notifier_notice_refused(notice: Notice, measure: NotifierMeasure) -> OutboundEmail | None:
    """To the submitter: the notice was refused at confirmation, why and until when."""
    context = {"measure": measure, "policy_url": absolute(reverse("takedowns:policy_notifier_misuse")),
               "tracking_url": absolute(notice.tracking_path())}
    return make_message("notifier_notice_refused", notice.submitter_email, context, notice, _when(notice.closed_at),
                        language=_submitter_language(notice))


def _appellants(appeal: NotifierAppeal) -> list[str]:
    """Everyone the measure was sent to, and whoever filed the appeal from a notice's page."""
    return sorted({*appeal.measure.recipients, appeal.appellant_email} - {""})


def notifier_appeal_received(appeal: NotifierAppeal) -> list[OutboundEmail]:
    context = {**_measure_context(appeal.measure), "appeal": appeal}
    return outbox.store([_render("notifier_appeal_received", to, context, None, appeal.filed_at,
                                 language=_notifier_language(to)) for to in _appellants(appeal)])


def notifier_appeal_to_leads(appeal: NotifierAppeal) -> list[OutboundEmail]:
    """To every lead: an appeal waits; the lead who decided the measure may not decide it."""
    context = {**_measure_context(appeal.measure), "appeal": appeal,
               "review_url": absolute(reverse("takedowns:notifier_appeal", args=[appeal.pk]))}
    return outbox.store([_render("notifier_appeal_to_leads", lead.email, {**context, "user": lead}, None,
                                 appeal.filed_at, language=_staff_language()) for lead in _leads()])


def notifier_appeal_decided(appeal: NotifierAppeal) -> list[OutboundEmail]:
    context = {**_measure_context(appeal.measure), "appeal": appeal}
    return outbox.store([_render("notifier_appeal_decided", to, context, None, _when(appeal.decided_at),
                                 language=_notifier_language(to)) for to in _appellants(appeal)])


# --- The rights registry (issue 14). The registrant's e-mails are attached to the right (its private page
# shows them), in the language they registered in; the leads' call to verify is attached to none. ---

def _to_registrant(kind: str, right: Right, context: dict, now: datetime) -> OutboundEmail:
    message = _render(kind, right.registrant_email,
                      {"right": right, "right_url": absolute(right.tracking_path()), **context}, None, now,
                      language=right.language)
    message.right = right
    return outbox.store([message])[0]


def right_confirmation_request(right: Right) -> OutboundEmail:
    return _to_registrant("right_confirm", right, {"confirm_url": absolute(right.confirmation_path())},
                          _when(right.created_at))


def right_received(right: Right) -> OutboundEmail:
    return _to_registrant("right_received", right, {}, _when(right.confirmed_at))


def right_to_verify(right: Right) -> list[OutboundEmail]:
    """To every lead: a confirmed registration waits for verification in /review/rights/."""
    context = {"right": right, "review_url": absolute(reverse("takedowns:review_right", args=[right.reference]))}
    return outbox.store([_render("right_to_verify", lead.email, {**context, "user": lead}, None,
                                 _when(right.confirmed_at), language=_staff_language()) for lead in _leads()])


def right_verified(right: Right) -> OutboundEmail:
    notice_url = absolute(f"{reverse('takedowns:file_notice')}?right={right.reference}&key={right.tracking_token}")
    return _to_registrant("right_verified", right, {"notice_url": notice_url}, _when(right.verified_at))


def right_rejected(right: Right, now: datetime) -> OutboundEmail:
    return _to_registrant("right_rejected", right, {}, now)


def right_changed(right: Right, changes: dict, now: datetime) -> OutboundEmail:
    return _to_registrant("right_changed", right, {"changes": changes}, now)


def right_withdrawn(right: Right, now: datetime) -> OutboundEmail:
    return _to_registrant("right_withdrawn", right, {}, now)


def right_expired(right: Right, now: datetime) -> OutboundEmail:
    return _to_registrant("right_expired", right, {}, now)


# --- issue 15: organisations ---
# The contact's e-mails are attached to the organisation (its private page shows them), in the language chosen on
# the form; the leads' call to verify is attached to none (the contact's page must not list the leads' mail).

def _to_contact(kind: str, organisation: Organisation, context: dict, now: datetime) -> OutboundEmail:
    message = _render(kind, organisation.contact_email,
                      {"organisation": organisation, "organisation_url": absolute(organisation.tracking_path()),
                       **context}, None, now, language=organisation.language)
    message.organisation = organisation
    return outbox.store([message])[0]


def organisation_confirmation_request(organisation: Organisation) -> OutboundEmail:
    return _to_contact("organisation_confirm", organisation,
                       {"confirm_url": absolute(organisation.confirmation_path())}, _when(organisation.created_at))


def organisation_received(organisation: Organisation) -> OutboundEmail:
    return _to_contact("organisation_received", organisation, {}, _when(organisation.confirmed_at))


def organisation_to_verify(organisation: Organisation) -> list[OutboundEmail]:
    """To every lead: a confirmed organisation waits for verification in /review/organisations/."""
    context = {"organisation": organisation,
               "review_url": absolute(reverse("takedowns:review_organisation", args=[organisation.reference]))}
    messages = [_render("organisation_to_verify", lead.email, {**context, "user": lead}, None,
                        _when(organisation.confirmed_at), language=_staff_language()) for lead in _leads()]
    return outbox.store(messages)


def organisation_verified(organisation: Organisation) -> OutboundEmail:
    return _to_contact("organisation_verified", organisation, {}, _when(organisation.verified_at))


def organisation_rejected(organisation: Organisation, now: datetime) -> OutboundEmail:
    return _to_contact("organisation_rejected", organisation, {}, now)


def organisation_suspended(organisation: Organisation, now: datetime) -> OutboundEmail:
    return _to_contact("organisation_suspended", organisation, {}, now)


def organisation_expired(organisation: Organisation, now: datetime) -> OutboundEmail:
    return _to_contact("organisation_expired", organisation, {}, now)

# --- issue 15: routing in batches ---

# The routed e-mail lists each listing up to this many; a bigger notice (a professional notifier's
# thousands) gets the counts by outcome and the tracking page's link, where every listing is shown.
ROUTED_LISTINGS_SHOWN = 50


def routed_messages(notice: Notice, items: list[NoticeItem], reviewer: Reviewer | None,
                    leads: list[User] | None = None) -> list[OutboundEmail]:
    """notice_routed's e-mails, not stored yet (routing in batches stores a batch's in one INSERT).
    `leads`: the leads, when the caller read them already."""
    ordered = sorted(items, key=lambda item: item.position)
    states = Counter(item.state for item in ordered)
    context = {"items": ordered[:ROUTED_LISTINGS_SHOWN], "more": max(len(ordered) - ROUTED_LISTINGS_SHOWN, 0),
               "item_count": len(ordered),
               "outcomes": [(ItemState(state).label, states[state]) for state in ItemState.values if states[state]]}
    messages = [_render("notice_routed", notice.submitter_email, context, notice, _when(notice.routed_at),
                        language=_submitter_language(notice))]
    if reviewer is None:
        review_url = absolute(reverse("takedowns:review_notice", args=[notice.reference]))
        messages += [_render("high_risk_waiting", lead.email, {"case": notice, "review_url": review_url}, None,
                             _when(notice.routed_at), language=_staff_language())
                     for lead in (_leads() if leads is None else leads)]
    elif reviewer.user.email:
        messages.append(_new_assignment(notice, reviewer, _when(notice.routed_at)))
    return messages


def leads_to_alert() -> list[User]:
    """The leads high_risk_waiting goes to (routing in batches reads them once for the batch)."""
    return _leads()
