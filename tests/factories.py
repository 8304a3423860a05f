"""The state tests start from, built through the workflow (takedowns.workflow) the way the app
builds it: filed, confirmed and routed notices, decided listings, removals carried out at the
marketplace, penalties applied. Rows are written by hand only where no workflow writes them: the
marketplace's own catalogue (the portal keeps a mirror of it) and the reviewers' accounts.

The fixtures that hand these out (catalogue, reviewers, lead, bright, the counter-notice case, ...)
live in tests/conftest.py; the one dataset built row by row on purpose, for figures worked out by
hand, lives in tests/datasets.py.
"""

import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from takedowns import api_keys, evidence, tdb, workflow
from takedowns.enums import LEAD_GROUP, REVIEWER_GROUP, DecisionOutcome, EvidenceKind, ListingStatus, OrganisationStatus
from takedowns.evidence import store
from takedowns.models import (
    ApiKey,
    Decision,
    Listing,
    Notice,
    NotifierMeasure,
    Organisation,
    Penalty,
    ReasonCode,
    Reviewer,
    ReviewerSkill,
    Right,
    Seller,
)
from takedowns.selectors.notices import removal_grounds_for
from takedowns.workflow import appeals, counter_notices, enforcement, notifier_misuse, registry
from takedowns.workflow.organisations import new_organisation_reference

REMOVE, REJECT = DecisionOutcome.REMOVE, DecisionOutcome.REJECT

# --- Evidence files. ---

# Smallest valid files of each accepted kind, recognised by their magic bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- The marketplace's catalogue. ---

def make_catalogue() -> dict[str, Listing]:
    """Two sellers, Acme Outlet (S-1) and Bright Store (S-2, two strikes already); L-100001..L-100004
    are active, L-100005 is removed; L-100003 is a toy. By external id."""
    acme = Seller.objects.create(external_id="S-1", name="Acme Outlet", country="DE")
    bright = Seller.objects.create(external_id="S-2", name="Bright Store", country="CN", strike_count=2)
    listings = {}
    for number, (seller, category) in enumerate(
        [(acme, "shoes"), (acme, "bags"), (bright, "toys"), (bright, "electrical"), (acme, "shoes")], start=1
    ):
        external_id = f"L-10000{number}"
        listings[external_id] = Listing.objects.create(
            external_id=external_id, seller=seller, title=f"Listing {number}", category=category,
            price=Decimal("19.99"), status="removed" if number == 5 else "active")
    return listings


def more_listings(count: int, seller: Seller) -> list[str]:
    """`count` more active listings of `seller` (L-200001, …), for tests that need many notices under review
    at once: a notice on a listing another open notice has under review is a duplicate, closed at routing."""
    listings = Listing.objects.bulk_create([
        Listing(external_id=f"L-2{number:05d}", seller=seller, title=f"Extra listing {number}", category="shoes",
                price=Decimal("19.99"), status="active") for number in range(1, count + 1)])
    return [listing.external_id for listing in listings]


# --- Reviewers and leads. ---

def make_reviewer(username: str, skills: Iterable[str], languages: str = "en", active: bool = True) -> Reviewer:
    """A reviewer with these skills (right types), e-mail <username>@portal.test and password "pw"."""
    user = get_user_model().objects.create_user(username, f"{username}@portal.test", "pw")
    user.groups.add(Group.objects.get_or_create(name=REVIEWER_GROUP)[0])
    reviewer = Reviewer.objects.create(user=user, languages=languages, is_active=active)
    for right_type in skills:
        ReviewerSkill.objects.create(reviewer=reviewer, right_type=right_type)
    return reviewer


def make_lead(username: str = "lead", skills: Iterable[str] = (), authenticator: bool = True) -> Reviewer:
    """A reviewer who is also in the Lead group, staff (the admin is theirs), with an authenticator
    app as production asks of a lead. Without skills by default, so that routing never prefers the
    lead to the skilled reviewers a test expects a notice to go to."""
    lead = make_reviewer(username, skills)
    lead.user.groups.add(Group.objects.get_or_create(name=LEAD_GROUP)[0])
    lead.user.is_staff = True
    lead.user.save(update_fields=["is_staff"])
    if authenticator:
        give_authenticator(lead.user)
    return lead


def give_authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator app (a TOTP device) for `user`; totp_code() tells its current code."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def totp_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The six digits the app shows now (or `offset_steps` periods of 30 s later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def log_in(client, person: Reviewer | User) -> None:
    """Logged in as `person` the way the login page leaves a session: with the code of their
    authenticator given, where they have one (every lead from make_lead)."""
    user = person.user if isinstance(person, Reviewer) else person
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


# --- Notices: filed, confirmed, routed. ---

ONE_COUNTERFEIT = (("L-100001", "counterfeit"),)


# The contact details of a copyright (DMCA) notice, 17 U.S.C. 512(c)(3)(A)(iv).
DMCA_ADDRESS = "Aerostride GmbH\nSchillerstrasse 12\n10625 Berlin\nGermany"
DMCA_PHONE = "+49 30 1234567"


def notice_fields(**overrides) -> dict:
    """The public form's fields of Anna Berger's trademark notice, with `overrides`."""
    fields = {
        "submitter_name": "Anna Berger", "submitter_organisation": "Aerostride GmbH",
        "submitter_email": "anna@aerostride.example", "submitter_country": "DE", "submitter_role": "owner",
        "language": "en", "right_type": "trademark", "right_registration_number": "018234567",
        "right_office": "EUIPO", "right_owner": "Aerostride GmbH",
        "description": "These sneakers carry our mark but we never made them; a test buy proved it.",
        "good_faith_statement": True, "accuracy_statement": True, "signature": "Anna Berger",
    }
    if overrides.get("right_type") == "copyright":  # a DMCA notice: the form asks a postal address and telephone
        fields.update(submitter_address=DMCA_ADDRESS, submitter_phone=DMCA_PHONE)
    fields.update(overrides)
    return fields


def notice_form_post(submission_key: object, items: Iterable[tuple[str, str]] = ONE_COUNTERFEIT, **fields) -> dict:
    """The public form's POST of notice_fields(**fields) about `items`, as the browser sends it."""
    items = list(items)
    data = {name: ("on" if value is True else value) for name, value in notice_fields(**fields).items()}
    data.update({"submission_key": str(submission_key), "items-TOTAL_FORMS": str(max(len(items), 3)),
                 "items-INITIAL_FORMS": "0", "items-MIN_NUM_FORMS": "3", "items-MAX_NUM_FORMS": "200"})
    for index, (reported, reason) in enumerate(items):
        data.update({f"items-{index}-reported": reported, f"items-{index}-reason": reason})
    return data


def file_notice(now: datetime, items: Iterable[tuple[str, str]] = ONE_COUNTERFEIT, **fields) -> Notice:
    """A notice filed at `now` about `items` (listing reference, reason), not yet confirmed."""
    notice, _ = workflow.file_notice(
        notice_fields(**fields), [workflow.ReportedItem(reported, reason) for reported, reason in items],
        uuid.uuid4(), now)
    return notice


def confirmed(now: datetime, items: Iterable[tuple[str, str]] = ONE_COUNTERFEIT, **fields) -> Notice:
    """A notice filed and confirmed at `now`. Routing is asked for after commit: inside a test's
    transaction that never comes, so the notice waits unrouted; a transactional test commits, and
    the routing task runs (in-process, or in the integration layer's worker)."""
    notice = file_notice(now, items, **fields)
    workflow.confirm_notice(notice, now)
    return notice


def routed(now: datetime, items: Iterable[tuple[str, str]] = ONE_COUNTERFEIT, *,
           routed_after: timedelta = timedelta(0), **fields) -> Notice:
    """A notice filed and confirmed at `now` and routed `routed_after` later (by skill and load, as
    the worker routes it); reloaded."""
    notice = confirmed(now, items, **fields)
    workflow.route_notice(notice.pk, now + routed_after)
    notice.refresh_from_db()
    return notice


# --- Decisions. ---

def decide(notice: Notice, now: datetime, outcomes: dict[str, str], by: Reviewer | None = None,
           note: str = "", code: str = "genuine-goods") -> list[Decision]:
    """The notice's reviewer (`by`, where a test names who routing gave it to) decides its listings
    at `now`, each as `outcomes` says by its listing id; a rejection gets the reason code `code`
    (genuine-goods unless told). Returns the decisions, in the order of `outcomes`."""
    reason_code = ReasonCode.objects.get(code=code)
    items = {item.listing.external_id: item for item in notice.items.select_related("listing")
             if item.listing is not None}
    return workflow.decide_items(notice, by or notice.assigned_to, [
        workflow.ItemDecision(items[listing].pk, outcome, reason_code=reason_code if outcome == REJECT else None,
                              note=note)
        for listing, outcome in outcomes.items()], now)


def put_back_online(listings: Iterable[str]) -> None:
    """Marks listings active in the catalogue again, so that one test can report a listing twice."""
    Listing.objects.filter(external_id__in=list(listings)).update(status=ListingStatus.ACTIVE)


def decided(now: datetime, outcomes: dict[str, str], by: Reviewer | None = None, *, reason: str = "counterfeit",
            note: str = "", code: str = "genuine-goods", **fields) -> Notice:
    """A notice reporting the listings of `outcomes` for `reason` (each put back online first), filed,
    confirmed, routed and decided at `now` as `outcomes` says (see decide). Returns it, reloaded."""
    put_back_online(outcomes)
    notice = routed(now, [(listing, reason) for listing in outcomes], **fields)
    decide(notice, now, outcomes, by, note, code)
    notice.refresh_from_db()
    return notice


def decision_of(notice: Notice, listing: str | None = None) -> Decision:
    """The standing decision on `listing` of the notice (or on its only decided listing)."""
    decisions = Decision.objects.select_related("item__listing__seller", "item__notice").filter(
        item__notice=notice, reversed_at=None)
    if listing is not None:
        decisions = decisions.filter(item__listing__external_id=listing)
    return decisions.get()


def decisions_of(notice: Notice) -> list[Decision]:
    """The notice's standing decisions in the order of its listings, loaded as the TDB export loads
    them (select_related(*tdb.RELATED))."""
    return list(Decision.objects.select_related(*tdb.RELATED).filter(item__notice=notice, reversed_at=None)
                .order_by("item__position"))


def taken_down(now: datetime, listing: str, by: Reviewer | None = None) -> Decision:
    """A removal of `listing` (put back online first) decided at `now` and carried out at the
    marketplace by the task that runs after commit. Returns the decision."""
    put_back_online([listing])
    notice = routed(now, [(listing, "counterfeit")])
    decision, = decide(notice, now, {listing: REMOVE}, by)
    workflow.record_takedown(decision.pk)
    assert Listing.objects.get(external_id=listing).status == "removed"
    return decision


def decision_form(notice: Notice, rows: dict | None = None, **batch) -> dict:
    """The POST of the notice page's decision form: `rows` maps a listing's position to its fields
    (action, reason_code, note, grounds); `batch` holds all_action, all_reason_code and question. Every
    listing waiting for a decision gets its row, as the page renders them (grounds prefilled with the
    default RemovalGround of the listing's right and reason)."""
    waiting = list(notice.items.filter(state="in_review").order_by("position"))
    grounds = removal_grounds_for(notice, waiting)
    data = {"item-TOTAL_FORMS": str(len(waiting)), "item-INITIAL_FORMS": str(len(waiting)),
            "item-MIN_NUM_FORMS": "0", "item-MAX_NUM_FORMS": str(len(waiting))}
    for index, item in enumerate(waiting):
        fields = {"action": "", "reason_code": "", "note": "", "grounds": grounds[item.pk],
                  **(rows or {}).get(item.position, {})}
        data[f"item-{index}-item"] = str(item.pk)
        data.update({f"item-{index}-{name}": str(value) for name, value in fields.items()})
    data.update({"all_action": "", "all_reason_code": "", "question": ""})
    data.update({name: str(value) for name, value in batch.items()})
    return data


# --- Penalties. ---

def apply_penalties(now: datetime) -> None:
    """Applies every penalty decided so far at the marketplace, as the task after commit does."""
    for penalty in Penalty.objects.all():
        enforcement.apply_penalty(penalty.pk, now)


# --- Counter-notices: the case of tests/conftest.py's bright_removal, filed_counter_notice and
# waiting_counter_notice fixtures. ---

# Found complete on a Wednesday; the 10 US business days after it skip two weekends and Thanksgiving
# (27 November 2025).
ACCEPTED_AT = datetime(2025, 11, 19, 12, 0, tzinfo=UTC)
# The counter-notice is received (filed) on Tuesday 18 Nov 2025, 07:00 New York time; the 10th US business
# day after it (Thanksgiving, 27 Nov, not counted) is Wednesday 3 Dec, which ends at 00:00 New York = 05:00 UTC.
RESTORE_DUE_AT = datetime(2025, 12, 4, 5, 0, tzinfo=UTC)
LATEST_RESTORE_AT = datetime(2025, 12, 10, 5, 0, tzinfo=UTC)  # the end of the 14th: the restore clock's due time
REMOVED_AT = ACCEPTED_AT - timedelta(days=3)
FILED_AT = ACCEPTED_AT - timedelta(days=1)

# Bright Store's counter-notice against the removal of L-100003: every element of DMCA 512(g)(3).
COUNTER_NOTICE_FIELDS = {
    "material": "Listing L-100003 “Listing 3”, at https://portal.test/listings/L-100003/",
    "explanation": "The toys are genuine: bought from the brand's EU distributor, invoice available.",
    "statement_mistake": True,
    "consent_jurisdiction": True,
    "full_name": "Li Wei",
    "address": "12 Harbour Road\nShenzhen 518000\nChina",
    "phone": "+86 755 1234 5678",
    "email": "li.wei@bright.example",
    "signature": "li  wei",
}


# --- Appeals. ---

SELLER_APPEAL_TEXT = ("The sneakers are genuine: I bought them from the brand's authorised wholesaler, invoice "
                      "attached.")
SUBMITTER_APPEAL_TEXT = ("The registration number was right: the mark is registered at EUIPO under 018234567 since "
                         "2019.")


# --- Retention: a closed case that holds every kind of personal data the portal keeps. ---

CASE_FILED_AT = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)  # a Monday
CASE_LAST_STEP = CASE_FILED_AT + timedelta(days=30)  # the counter-notice's restore
H = timedelta(hours=1)
D = timedelta(days=1)


def redecided(now: datetime, listing: str, by: Reviewer, other: Reviewer) -> Notice:
    """A notice about `listing` routed to `by`, who rejects it at `now`; the submitter appeals a day
    later, `other` sets the rejection aside two days later (the notice reopens, with its second
    decision clock, assigned to `other`), and `other` removes the listing three days after `now`.
    Reloaded."""
    notice = decided(now, {listing: REJECT}, by)
    appeal = appeals.file_appeal(decision=decision_of(notice), appellant="submitter", now=now + D,
                                 text=SUBMITTER_APPEAL_TEXT)
    appeals.decide_appeal(appeal, other, "reversed", "The registration is valid.", now + 2 * D)
    notice.refresh_from_db()
    decide(notice, now + 3 * D, {listing: REMOVE}, other)
    notice.refresh_from_db()
    return notice


def case_with_everything(checker: Reviewer, other: Reviewer, at: datetime = CASE_FILED_AT) -> Notice:
    """Anna Berger's notice (with her postal address and telephone) about Bright Store's L-100003 and L-100004
    (the `bright` fixture's seller, with an address), filed at `at` with a certificate, routed to tm: escalated
    with a note; a question about L-100004 answered with a receipt; L-100003 removed and L-100004 rejected, each
    with a note; the removal taken down (the marketplace's clock held at the decision), the strike's warning
    applied. Bright Store's counter-notice: returned as incomplete, filed again, found complete by `checker`,
    the listing restored 30 days after filing (CASE_LAST_STEP, the case's last step). The submitter's appeal
    against the rejection and the seller's against the warning, both upheld by `other`. Reloaded."""
    put_back_online(["L-100003", "L-100004"])
    notice = routed(at, [("L-100003", "counterfeit"), ("L-100004", "counterfeit")],
                    submitter_address=DMCA_ADDRESS, submitter_phone=DMCA_PHONE)
    store(notice.submission_key, "registration_certificate", upload("certificate.pdf", PDF_BYTES),
          "application/pdf", notice=notice)
    workflow.escalate_notice(notice, notice.assigned_to, "Anna Berger says the seller threatened her.", at + H)
    item4 = notice.items.get(listing__external_id="L-100004")
    workflow.request_information(notice, notice.assigned_to, [item4.pk], "Anna, please send the test-buy receipt.",
                                 at + 2 * H)
    workflow.answer_information(notice, "Attached, Anna Berger (+49 30 555 0101).", at + 3 * H,
                                files=[(upload("receipt.png", PNG_BYTES), "image/png")])
    notice.refresh_from_db()
    removal, rejection = decide(notice, at + 4 * H, {"L-100003": REMOVE, "L-100004": REJECT},
                                note="Checked with Anna Berger of Aerostride.")
    with mock.patch("django.utils.timezone.now", return_value=at + 4 * H):  # the marketplace's clock
        workflow.record_takedown(removal.pk)
    apply_penalties(at + 5 * H)
    counter_notice = counter_notices.file_counter_notice(removal, COUNTER_NOTICE_FIELDS, at + D)
    counter_notices.mark_incomplete(counter_notice, checker, "Li Wei, your telephone number lacks a digit.", at + 2 * D)
    counter_notice = counter_notices.file_counter_notice(removal, COUNTER_NOTICE_FIELDS, at + 3 * D)
    counter_notices.accept_counter_notice(counter_notice, checker, at + 4 * D)
    for appeal in (appeals.file_appeal(decision=rejection, appellant="submitter", now=at + 5 * D,
                                       text=f"{SUBMITTER_APPEAL_TEXT} Anna Berger"),
                   appeals.file_appeal(penalty=Penalty.objects.get(strike__notice=notice), appellant="seller",
                                       now=at + 5 * D, text=f"{SELLER_APPEAL_TEXT} Li Wei")):
        appeals.decide_appeal(appeal, other, "upheld", "Ms Berger and Mr Li: the decision stands.", at + 6 * D)
    assert counter_notices.restore_due(CASE_LAST_STEP) == 1
    notice.refresh_from_db()
    return notice


# --- Notifier misuse (DSA Art. 23): a notifier's record of decided notices. ---

# A seeded reason code (migration 0002) that tests mark as manifestly unfounded, as a lead would.
UNFOUNDED_CODE = "no-use-of-right"


def mark_manifestly_unfounded(*codes: str) -> None:
    """What a lead does in the admin: these reason codes count as manifestly unfounded."""
    ReasonCode.objects.filter(code__in=codes or (UNFOUNDED_CODE,)).update(manifestly_unfounded=True)


def notifier_notices(now: datetime, email: str, notices: int, unfounded: int, *, listings: int = 1,
                     code: str = UNFOUNDED_CODE, **fields) -> list[Notice]:
    """`notices` notices from `email` (and `fields`), each reporting `listings` listings of Acme and Bright,
    filed, confirmed, routed and decided at `now`: the first `unfounded` listings (counted over all the
    notices, in order) rejected with `code`, the others removed. Returns them, reloaded."""
    reported = ["L-100001", "L-100002", "L-100003", "L-100004"][:listings]
    made, left = [], unfounded
    for _ in range(notices):
        outcomes = {}
        for listing in reported:
            outcomes[listing] = REJECT if left > 0 else REMOVE
            left -= 1
        made.append(decided(now, outcomes, code=code, submitter_email=email, **fields))
    return made


def warned(now: datetime, lead: Reviewer, email: str = "anna@aerostride.example", listing: str = "L-100002",
           **fields) -> NotifierMeasure:
    """A warning for `email`, decided by `lead` at `now`: one notice of theirs about `listing`, rejected
    as manifestly unfounded at `now`, crosses a threshold lowered to one listing, and the proposal
    raised is decided. Returns the measure."""
    mark_manifestly_unfounded()
    decided(now, {listing: REJECT}, code=UNFOUNDED_CODE, submitter_email=email, **fields)
    with override_settings(NOTIFIER_MISUSE_MIN_COUNT=1, NOTIFIER_MISUSE_MIN_SHARE_PERCENT=1):
        proposal = next(p for p in notifier_misuse.raise_proposals(now) if p.notifier == email)
    return notifier_misuse.decide_proposal(proposal, lead.user, "Your notice named a listing that does not use "
                                                                "your right.", now)


def suspended(now: datetime, lead: Reviewer, email: str = "anna@aerostride.example",
              listings: tuple[str, str] = ("L-100003", "L-100004")) -> NotifierMeasure:
    """The ladder's second step for `email`: warned at `now` (about the first listing), then a second
    unfounded notice (about the second) an hour later, whose proposal `lead` decides: a suspension of
    their notice handling from then on. Returns the suspension."""
    warned(now, lead, email, listing=listings[0])
    return warned(now + timedelta(hours=1), lead, email, listing=listings[1])


# --- Listing screening and stay-down (issue 14, ENGINE): rights on the protection list, listings as a seller
# submits them, pictures with a known look. ---

def protected_right(terms: Iterable[str] = ("Nike",), *, number: str = "EU-0001", price_min: str | None = None,
                    currency: str = "EUR", authorised: Iterable[Seller] = (), status: str = "verified"):
    """A right with brand terms (normalised as the registry stores them), verified unless `status` says
    otherwise, written by hand (the registry's workflow is another helper's)."""
    from takedowns.models import ProtectedTerm, Right  # noqa: PLC0415 (the issue-14 block stays self-contained)
    from takedowns.screening.text import normalise  # noqa: PLC0415 (likewise)
    right = Right.objects.create(right_type="trademark", registration_number=number, office="EUIPO",
                                 owner_name=f"Owner of {number}", title=next(iter(terms), ""), status=status,
                                 price_min=Decimal(price_min) if price_min is not None else None, currency=currency)
    ProtectedTerm.objects.bulk_create([ProtectedTerm(right=right, term=term, normalised=normalise(term))
                                       for term in terms])
    right.authorised_sellers.set(list(authorised))
    return right


_LISTING_NUMBERS = iter(range(300001, 10**6))


def submitted_listing(seller: Seller, title: str, description: str = "", *, price: str = "100.00",
                      currency: str = "EUR", attributes: dict | None = None, image: str = "") -> Listing:
    """A listing a seller just created, waiting for screening (L-300001, ...)."""
    return Listing.objects.create(external_id=f"L-{next(_LISTING_NUMBERS)}", seller=seller, title=title,
                                  description=description, category="shoes", price=Decimal(price),
                                  currency=currency, attributes=attributes or {}, image=image,
                                  status=ListingStatus.PENDING)


def picture(seed: int, size: int = 64, fmt: str = "PNG") -> bytes:
    """A picture of random blocks (the same for the same seed), as bytes of `fmt`."""
    import io  # noqa: PLC0415 (likewise)
    import random  # noqa: PLC0415 (likewise)

    from PIL import Image  # noqa: PLC0415 (likewise)
    chooser = random.Random(seed)
    blocks = Image.new("L", (8, 8))
    blocks.putdata([chooser.randrange(256) for _ in range(64)])
    out = io.BytesIO()
    blocks.resize((size, size), Image.Resampling.BILINEAR).save(out, fmt)
    return out.getvalue()

# --- The rights registry (issue 14, REGISTRY): registrations built through workflow/registry.py. ---

def registration_fields(**overrides) -> dict:
    """The Right model fields of Anna Berger's registration of the Aerostride mark, with `overrides`."""
    fields = {"right_type": "trademark", "registration_number": "018234567", "office": "EUIPO",
              "owner_name": "Aerostride GmbH", "title": "AEROSTRIDE", "goods": "Footwear", "classes": "25",
              "registrant_name": "Anna Berger", "registrant_organisation": "Aerostride GmbH",
              "registrant_email": "anna@aerostride.example", "registrant_role": "owner", "language": "en"}
    fields.update(overrides)
    return fields


def registration_post(submission_key: object, **overrides) -> dict:
    """The registration form's POST (without files) of registration_fields, terms and price."""
    data = {name: value for name, value in registration_fields().items()}
    data.update({"submission_key": str(submission_key), "terms": "Aerostride\nAero Stride",
                 "price_min": "89.00", "price_max": "149.00", "currency": "EUR", "authorised_sellers": ""})
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def registered(now: datetime, terms: Iterable[str] = ("Aerostride",), sellers: Iterable[Seller] = (),
               with_certificate: bool = True, **fields) -> Right:
    """A right registered at `now` (unconfirmed), with a certificate kept under its form's key."""
    key = uuid.uuid4()
    if with_certificate:
        evidence.keep(key, [(EvidenceKind.REGISTRATION_CERTIFICATE, upload("cert.pdf", PDF_BYTES),
                                   "application/pdf")])
    right, _ = registry.register(registration_fields(**fields), registry.Protection(
        terms=list(terms), sellers=list(sellers), price_min=Decimal("89.00"), price_max=Decimal("149.00"),
        currency="EUR"), key, now)
    return right


def verified(now: datetime, lead: Reviewer, **fields) -> Right:
    """A right registered, confirmed and verified by `lead` at `now`."""
    right = registered(now, **fields)
    registry.confirm(right, now)
    return registry.verify(right, lead.user, now)

# --- issue 14 figures: own-initiative cases and screenings, built row by row as workflow/screening.py (CASES)
# leaves them (i14/DESIGN.md): a Screening with its ScreeningHit rows; a hold or block opens a Notice with
# source=screening and one NoticeItem; a block is an automated removal (listing BLOCKED, case closed); a hold a
# reviewer decided is a removal by a person (detected by automated means) or a rejection (listing published). ---

from takedowns.enums import LEGAL_GROUNDS, NoticeSource  # noqa: E402  (this block's own, kept apart for merges)
from takedowns.models import NoticeItem, Screening, ScreeningHit  # noqa: E402


def figures_listing(external_id: str, seller: Seller, *, first_sold_at: datetime | None = None,
                    status: str = ListingStatus.ACTIVE) -> Listing:
    return Listing.objects.create(external_id=external_id, seller=seller, title=f"Listing {external_id}",
                                  category="shoes", price=Decimal("19.99"), status=status,
                                  sales=1 if first_sold_at else 0, first_sold_at=first_sold_at)


def system_user() -> User:
    return get_user_model().objects.get_or_create(username="screening-system")[0]


def screening_row(listing: Listing, outcome: str, at: datetime, rules: Iterable[str] = (), *,
                  case: Notice | None = None, trigger: str = "created") -> Screening:
    """A screening of `listing` at `at` with one hit per rule (its outcome the screening's)."""
    screening = Screening.objects.create(listing=listing, trigger=trigger, outcome=outcome, case=case,
                                         screened_at=at)
    ScreeningHit.objects.bulk_create([ScreeningHit(screening=screening, rule=rule, outcome=outcome, term="n1ke",
                                                   field="title") for rule in rules])
    return screening


def own_initiative_case(listing: Listing, outcome: str, at: datetime, rules: Iterable[str], *, reference: str,
                        decided: str | None = None, decided_at: datetime | None = None,
                        removed_at: datetime | None = None,
                        by: User | None = None) -> tuple[Screening, Decision | None]:
    """A hold or block of `listing` screened at `at`, its case (reference `reference`) and its decision: a
    block is decided at once by the system (automated removal, listing_removed_at = `at`); a hold is decided
    by `by` at `decided_at` when `decided` (remove or reject) is given, a removal carried out at `removed_at`
    (default: decided_at)."""
    fields = notice_fields(submitter_name="Marketplace screening", submitter_organisation="Demo Marketplace",
                           submitter_email="trust@marketplace.example", description="Listing screening.",
                           signature="Marketplace")
    case = Notice.objects.create(
        reference=reference, source=NoticeSource.SCREENING, submission_key=uuid.uuid4(), tracking_token="",
        confirmation_token="", **fields, status="in_review", created_at=at, expires_at=at, confirmed_at=at)
    item = NoticeItem.objects.create(notice=case, position=1, reported=listing.external_id, reason="counterfeit",
                                     listing=listing, seller=listing.seller, filed_at=at, state="in_review")
    screening = screening_row(listing, outcome, at, rules, case=case)
    ground = LEGAL_GROUNDS["trademark"]
    decision = None
    if outcome == "block":
        decision = Decision.objects.create(item=item, outcome=REMOVE, decided_by=system_user(), decided_at=at,
                                           legal_ground=ground, automated_detection=True, automated_decision=True,
                                           listing_removed_at=at, seller_token=uuid.uuid4().hex)
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.BLOCKED)
    elif decided is not None:
        assert by is not None and decided_at is not None
        decision = Decision.objects.create(
            item=item, outcome=decided, decided_by=by, decided_at=decided_at,
            legal_ground=ground if decided == REMOVE else "", automated_detection=True, automated_decision=False,
            listing_removed_at=(removed_at or decided_at) if decided == REMOVE else None,
            seller_token=uuid.uuid4().hex)
        Listing.objects.filter(pk=listing.pk).update(
            status=ListingStatus.REMOVED if decided == REMOVE else ListingStatus.ACTIVE)
    else:
        Listing.objects.filter(pk=listing.pk).update(status=ListingStatus.HELD)
    if decision is not None:
        Notice.objects.filter(pk=case.pk).update(status="closed", closed_at=decision.decided_at)
        NoticeItem.objects.filter(pk=item.pk).update(state="removed" if decision.outcome == REMOVE else "rejected")
    return screening, decision


def notice_removal(notice: Notice, listing: Listing, position: int, by: User, decided_at: datetime, *,
                   removed_at: datetime | None = None, reversed_at: datetime | None = None) -> Decision:
    """A rights holder's notice's item on `listing` (added to `notice`) removed by `by`."""
    item = NoticeItem.objects.create(notice=notice, position=position, reported=listing.external_id,
                                     reason="counterfeit", listing=listing, seller=listing.seller,
                                     filed_at=notice.created_at, state="removed")
    return Decision.objects.create(item=item, outcome=REMOVE, decided_by=by, decided_at=decided_at,
                                   legal_ground=LEGAL_GROUNDS["trademark"], listing_removed_at=removed_at,
                                   reversed_at=reversed_at, seller_token=uuid.uuid4().hex)


# --- Issue 15: organisations without a portal account (orgs). Rows made directly, as a seed would: the workflow's
# own steps are tested in tests/organisations/. ---

def organisation_post(key: uuid.UUID | None = None, **overrides: str) -> dict[str, str]:
    """What the registration form at /organisations/register/ posts."""
    data = {"submission_key": str(key or uuid.uuid4()), "name": "BrandGuard Services", "domain": "brandguard.example",
            "contact_name": "Jonas Weber", "contact_email": "jonas@brandguard.example", "country": "DE",
            "role": "agent", "language": "en"}
    data.update(overrides)
    return data


class OrganisationFactory:
    """OrganisationFactory(**fields) or .create(**fields): an organisation, VERIFIED by default (status= for
    another), with fresh private tokens; domain and contact default to brandguard.example."""

    def __new__(cls, **fields: object) -> Organisation:  # type: ignore[misc]  # factory_boy's calling style
        return cls.create(**fields)

    @staticmethod
    def create(**fields: object) -> Organisation:
        at = fields.pop("now", None) or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert isinstance(at, datetime)
        status = fields.pop("status", OrganisationStatus.VERIFIED)
        done = status not in (OrganisationStatus.UNCONFIRMED, OrganisationStatus.EXPIRED)
        values: dict[str, object] = {
            "reference": new_organisation_reference(), "name": "BrandGuard Services", "domain": "brandguard.example",
            "contact_name": "Jonas Weber", "contact_email": "jonas@brandguard.example", "country": "DE",
            "role": "agent", "language": "en", "status": status, "submission_key": uuid.uuid4(),
            "tracking_token": uuid.uuid4().hex + uuid.uuid4().hex[:11], "confirmation_token": uuid.uuid4().hex,
            "created_at": at, "expires_at": at + timedelta(days=7), "confirmed_at": at if done else None,
            "verified_at": at if status in (OrganisationStatus.VERIFIED, OrganisationStatus.SUSPENDED) else None}
        values.update(fields)
        return Organisation.objects.create(**values)


class ApiKeyFactory:
    """ApiKeyFactory(organisation=..., scopes=[...]) or .create(...): a live key (both scopes by default) of a new
    verified organisation unless one is given. The raw key: ApiKeyFactory.with_key(...) -> (row, key)."""

    def __new__(cls, **fields: object) -> ApiKey:  # type: ignore[misc]  # factory_boy's calling style
        return cls.with_key(**fields)[0]

    @staticmethod
    def create(**fields: object) -> ApiKey:
        return ApiKeyFactory.with_key(**fields)[0]

    @staticmethod
    def with_key(**fields: object) -> tuple[ApiKey, str]:
        made = api_keys.make_key()
        values: dict[str, object] = {"name": "production", "scopes": ["file", "read"],
                                     "created_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC)}
        values.update(fields)
        if "organisation" not in values:
            values["organisation"] = OrganisationFactory.create()
        return ApiKey.objects.create(prefix=made.prefix, key_hash=made.key_hash, **values), made.key

# --- issue 15: CSV uploads (tests/uploads/) ---

# The fields an organisation's uploader types beside the file (UploadForm.notice_fields()).
UPLOAD_FIELDS = {
    "submitter_name": "Mia Keller", "submitter_organisation": "BrandGuard", "submitter_email": "mia@brandguard.example",
    "submitter_address": "", "submitter_phone": "", "submitter_country": "DE", "submitter_role": "agent",
    "language": "en", "description": "These listings sell counterfeits of our clients' goods; test buys proved it.",
    "good_faith_statement": True, "accuracy_statement": True, "signature": "Mia Keller",
}
UPLOAD_HEADER = ["listing", "reason", "right_type", "registration_number", "office", "owner"]
UPLOAD_TRADEMARK = ["trademark", "018234567", "EUIPO", "Aerostride GmbH"]
UPLOAD_COPYRIGHT = ["copyright", "Product photos of the Aurora lamp, 2024", "Germany", "Aurora Lighting GmbH"]


def upload_organisation(now: datetime, status: str = "verified", domain: str = "brandguard.example"):
    """An organisation that files without an account (orgs' OrganisationFactory may replace this after merging)."""
    from takedowns.models import Organisation  # noqa: PLC0415 — appended section: the header's imports are others'
    return Organisation.objects.create(
        reference=f"ORG-{uuid.uuid4().hex[:8].upper()}", name="BrandGuard", domain=domain,
        contact_name="Mia Keller", contact_email=f"mia@{domain}", country="DE", role="agent", status=status,
        submission_key=uuid.uuid4(), tracking_token=uuid.uuid4().hex + uuid.uuid4().hex[:11],
        confirmation_token=uuid.uuid4().hex, created_at=now, expires_at=now + timedelta(days=2), confirmed_at=now)


def csv_bytes(rows: Iterable[Iterable[str]], delimiter: str = ",", header: Iterable[str] | None = None,
              bom: bool = False) -> bytes:
    """A CSV file of listings: the template's header (or `header`) and `rows`, as a spreadsheet saves it."""
    import csv  # noqa: PLC0415 — appended section: the header's imports are others'
    import io  # noqa: PLC0415 — appended section: the header's imports are others'
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(header if header is not None else UPLOAD_HEADER))
    writer.writerows(list(row) for row in rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def listing_rows(count: int, reason: str = "counterfeit", right: list[str] = UPLOAD_TRADEMARK,
                 start: int = 1) -> list[list[str]]:
    return [[f"https://marketplace.example/listings/L-{200000 + number}/", reason, *right]
            for number in range(start, start + count)]


def created_upload(now: datetime, data: bytes, organisation=None, fields: dict | None = None):
    """A CSV upload saved as the page saves it (its check is asked for after commit)."""
    from takedowns.workflow import uploads  # noqa: PLC0415 — appended section: the header's imports are others'
    organisation = organisation or upload_organisation(now)
    upload, _created = uploads.create_upload(organisation, fields or dict(UPLOAD_FIELDS),
                                             SimpleUploadedFile("listings.csv", data, "text/csv"), "listings.csv",
                                             uuid.uuid4(), now)
    return upload


def checked_upload(now: datetime, data: bytes | None = None, organisation=None, fields: dict | None = None):
    """A CSV upload saved and checked by the worker's steps (VALID for the default rows); reloaded."""
    from takedowns.forms.uploads import check_file  # noqa: PLC0415 — appended section: the header's imports are others'
    from takedowns.workflow import uploads  # noqa: PLC0415 — appended section: the header's imports are others'
    upload = created_upload(now, data if data is not None else csv_bytes(listing_rows(2)), organisation, fields)
    uploads.check_upload(upload.pk, now, check_file)
    upload.refresh_from_db()
    return upload
