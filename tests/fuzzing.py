"""Property-based fuzzing of every form and query parameter of the site (issue 10, item 7): the public
form, confirmation, the tracking page's forms, the seller's pages, the catalogue and the report, and,
logged in as a reviewer or a lead, the queue, the decision formset, escalating, reassigning, the
counter-notice check, the appeal decision, the dashboard period and the TDB ids.

Each example sends one request whose values hypothesis draws: mostly a valid form with one to three
fields (path parameters included) replaced by hostile input (NUL and other control characters, huge
strings, any unicode, numbers, dates, ids, cursors, several values for one name, missing fields,
files with hostile names and contents), sometimes hostile input in every field. The property: never
a server error, and always one of the codes the page answers with. Every example runs in a
transaction that is rolled back, so each starts from the same case file (build_world).

Used by tests/views/test_fuzz.py (the suite's database: SQLite, or PostgreSQL when DATABASE_URL is
set) and tests/integration/test_fuzz_postgres.py (PostgreSQL always: NUL fails only there).
"""

import logging
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import got_request_exception
from django.db import transaction
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory, override_settings
from django.test.client import ClientHandler, encode_multipart
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from takedowns import evidence, workflow
from takedowns.models import (
    Decision,
    Listing,
    Notice,
    NotifierAppeal,
    NotifierMeasure,
    NotifierProposal,
    Penalty,
    ReasonCode,
    Reviewer,
    Seller,
)
from takedowns.workflow import appeals, counter_notices, notifier_misuse
from tests import factories

OMIT = "<omitted>"  # the name is left out of the request altogether
BOUNDARY = "fuzz-7MA4YWxkTrZu0gW-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
# A path parameter drawn empty or with a slash may turn a URL into another one (APPEND_SLASH: 301).
PAGE = frozenset({200, 301, 400, 404})
FORM = frozenset({301, 302, 400, 404, 409})
OK = frozenset({200})
FOUND = frozenset({200, 301, 404})

# Values that broke, or could break, something somewhere: parsers, databases, date arithmetic, cursors.
SPECIAL = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "%00", "\r\n", "\t", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\u202e",
    "\ufeff", "\U0001f4a5" * 5, "\u00e4\u00f6\u00fc", "\u4e2d\u6587", "\u0645\u0631\u062d\u0628\u0627",
    "inf", "-inf", "nan", "NaN", "Infinity", "1e308", "1e-308", "-1", "0", "00", "-0", "1.5", "0x10", "1_000",
    "9" * 30, str(2 ** 63), str(2 ** 63 - 1), str(-2 ** 63 - 1), str(2 ** 31), str(2 ** 64),
    "0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "2026-02-30", "2026-13-01", "10000-01-01",
    "-2026-01-01", "2026-1-1", "2026-W01", "2026-H3", "2026-H0", "0000-00", "0001-01", "9999-12", "9999-H2",
    "inf_1_1", "-inf_1_1", "nan_1_1", "1e20_1_1", "1_1", "1_1_1_1", "_", "__", "9" * 30 + "_1_1",
    "TD-0000-0000", "td-0000-0000", "L-100001", "L-" + "9" * 40, "https://portal.test/listings/L-100001/",
    "javascript:alert(1)", "//evil.example/", "http://[::1", "<script>alert(1)</script>", "' OR 1=1 --",
    "%s%s%n", "{{ 7*7 }}", "../../etc/passwd", "a@b", "a" * 250 + "@example.com", "x@" + "a" * 250 + ".com",
    "x" * 5_000, "\x00" * 5_000, "\u4e2d" * 20_000, "y" * 300_000, "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "00000000-0000-0000-0000-000000000000", "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "{3f2504e0-4f89-11d3}",
]
SPECIAL_NAMES = ["poly.html", "x.pdf\x00.html", "\x00", "a\r\nb.pdf", 'q"uote.pdf', "../../x.png", "\u202egnp.exe",
                 "n" * 1_000 + ".pdf", ".pdf", "con.pdf", "\u4e2d\u6587.jpg"]
MAGIC = [factories.PDF_BYTES, factories.PNG_BYTES, factories.JPEG_BYTES, b"", b"\x00", b"PK\x03\x04", b"<html>"]


def hostile_text() -> st.SearchStrategy[str]:
    # Few branches, each cheap to draw: hypothesis spends as long drawing a value as Django takes to
    # check it, and the known troublemakers are listed in SPECIAL rather than left to chance.
    return st.one_of(
        st.sampled_from(SPECIAL),
        st.text(max_size=40),  # any code point but surrogates: NUL and every control character included
        st.text(st.characters(max_codepoint=0x9f), max_size=12),  # ASCII, C0 and C1 controls
        st.integers().map(str),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    )


# A valid value made hostile: past a length limit (an e-mail address of 300 characters is still an
# e-mail address), with a NUL or a line break inside, an id past the database's integers, homoglyphs.
MUTATIONS: list[Callable[[str], str]] = [
    lambda v: v + "\x00", lambda v: "\x00" + v, lambda v: v[:1] + "\x00" + v[1:], lambda v: "a" * 300 + v,
    lambda v: v + "b" * 300, lambda v: v * 60, lambda v: v.upper(), lambda v: f"  {v}\t", lambda v: v + "\u0301",
    lambda v: v.replace("a", "\u0430").replace("e", "\u0435"), lambda v: f"{v}\r\n{v}", lambda v: "-" + v,
    lambda v: v + "9" * 20, lambda v: v + "\U0001f4a5", lambda v: v + "\u202e", lambda v: v[: len(v) // 2],
    # Just past the lengths the models hold (CharField(max_length=…), EmailField's 254).
    *(lambda v, n=n: v.rjust(n, "a") for n in (17, 41, 65, 81, 201, 255, 256, 321, 2001, 5001, 10001)),
    *(lambda v, n=n: v.ljust(n, "b") for n in (41, 81, 201, 256, 501, 2049, 10001)),
]


def mutated(valid: tuple) -> st.SearchStrategy[str]:
    texts = [value for value in valid if value != OMIT]
    if not texts:
        return hostile_text()
    return st.builds(lambda value, mutation: mutation(value), st.sampled_from(texts), st.sampled_from(MUTATIONS))


def hostile_value() -> st.SearchStrategy:
    """A value for a field or a query parameter: text, several values for the one name, or none."""
    return st.one_of(hostile_text(), st.just(OMIT), st.lists(hostile_text(), min_size=2, max_size=3))


def hostile_files() -> st.SearchStrategy[list[tuple[str, bytes]]]:
    name = st.one_of(st.sampled_from(SPECIAL_NAMES), st.text(max_size=30))
    content = st.builds(lambda head, tail: head + tail, st.sampled_from(MAGIC), st.binary(max_size=300))
    return st.lists(st.tuples(name, content), min_size=1, max_size=3)


def listed_files() -> st.SearchStrategy[list[tuple[str, bytes]]]:
    return st.lists(st.tuples(st.sampled_from(SPECIAL_NAMES), st.sampled_from(MAGIC)), min_size=1, max_size=2)


@dataclass(frozen=True)
class Target:
    """A page or a form: its method, its path with {placeholders}, and for each placeholder, query
    parameter or form field the valid values it may keep (one is drawn when it is not attacked)."""

    name: str
    client: str  # "anonymous", "reviewer" (the notice's reviewer) or "lead"
    method: str
    path: str
    path_params: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: dict[str, tuple] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    expected: frozenset[int] = PAGE
    examples: int = 40

    def names(self) -> list[str]:
        return [*self.path_params, *self.params, *self.files]


@st.composite
def cases(draw: st.DrawFn, target: Target, everything: bool) -> tuple[dict, set[str]]:
    """The values of one request, and the names whose values are hostile. With `everything`, every
    field (or every path parameter of a page without fields), each with one or more values from the
    lists above: each field's own checks run whatever the others hold, and values drawn from lists
    let hypothesis draw them all within its budget of choices. Else one to three of the fields with
    any hostile value, the others valid, to reach what runs after the checks (or, in one example of
    five, of the path parameters: a wrong one is a 404 whatever the fields say)."""
    names = target.names()
    fields = [*target.params, *target.files]
    if everything:
        attacked, files = set(fields or target.path_params), listed_files()
        listed = st.sampled_from(SPECIAL)
        text = st.one_of(listed, st.just(OMIT), st.lists(listed, min_size=2, max_size=3))
    else:
        paths = target.path_params and (not fields or draw(st.integers(0, 4)) == 0)
        pool = list(target.path_params) if paths else fields
        attacked = draw(st.sets(st.sampled_from(pool), min_size=1, max_size=min(3, len(pool))))
        text, files = hostile_value(), hostile_files()
    values: dict = {}
    for name in names:
        if name in target.files:
            values[name] = draw(files) if name in attacked else []
        elif name in attacked and not everything:
            valid = (target.path_params | target.params)[name]
            values[name] = draw(st.one_of(text, mutated(valid)))
        elif name in attacked:
            values[name] = draw(text)
        else:
            valid = (target.path_params | target.params)[name]
            values[name] = valid[0] if len(valid) == 1 else draw(st.sampled_from(valid))
    return values, attacked


@dataclass
class Tally:
    requests: int = 0
    values: int = 0  # every value sent: path parameters, parameters, fields and files
    hostile: int = 0  # the values of them that were generated hostile input
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, values: dict, attacked: set[str], status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        for name, value in values.items():
            sent = 0 if value == OMIT else len(value) if isinstance(value, list) else 1
            self.values += sent
            self.hostile += sent if name in attacked else 0

    def merge(self, other: "Tally") -> None:
        self.requests, self.values, self.hostile = (self.requests + other.requests, self.values + other.values,
                                                    self.hostile + other.hostile)
        for code, n in other.statuses.items():
            self.statuses[code] = self.statuses.get(code, 0) + n

    def __str__(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (f"{self.values} values sent ({self.hostile} of them hostile) in {self.requests} requests; "
                f"status codes {codes}")


def multipart(data: dict, files: dict[str, list[tuple[str, bytes]]]) -> bytes:
    """A multipart/form-data body as a hostile client may send it: file names exactly as drawn (empty,
    with quotes, line breaks or NUL), which Django's test client would refuse to encode."""
    body = encode_multipart(BOUNDARY, data)
    parts = [body[: -len(f"--{BOUNDARY}--\r\n")]]
    for name, uploads in files.items():
        for file_name, content in uploads:
            parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                         b"Content-Type: application/octet-stream\r\n\r\n%s\r\n"
                         % (BOUNDARY.encode(), name.encode(), file_name.encode(), content))
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


class _Environs(RequestFactory):
    """RequestFactory's requests as the WSGI environ the test client hands the handler."""

    def request(self, **request: object) -> dict:  # type: ignore[override]  # an environ, not a request
        return self._base_environ(**request)


class Visitor:
    """Sends requests straight to Django's request handler, as the test client does, but without
    recording every template's context (a third of the time of a form page) or keeping cookies:
    each request carries the visitor's session cookie only. A view's exception comes back as the
    500 response a browser would get, and its traceback is kept for the failure message."""

    def __init__(self, session_key: str | None = None) -> None:
        cookie = {"HTTP_COOKIE": f"{django_settings.SESSION_COOKIE_NAME}={session_key}"} if session_key else {}
        self.factory = _Environs(**cookie)
        self.handler = ClientHandler(enforce_csrf_checks=False)
        self.tracebacks: list[str] = []

    def send(self, method: str, path: str, data: dict, files: dict[str, list[tuple[str, bytes]]]) -> HttpResponseBase:
        if method == "GET":
            environ = self.factory.get(path, data)
        else:
            environ = self.factory.generic("POST", path, multipart(data, files), content_type=MULTIPART)
        got_request_exception.connect(self._record, dispatch_uid="fuzzing")
        try:
            response = self.handler(environ)
        finally:
            got_request_exception.disconnect(dispatch_uid="fuzzing")
        if response.streaming:
            b"".join(response.streaming_content)  # a streamed CSV fails while it is read, if it fails
        return response

    def _record(self, **kwargs: object) -> None:
        self.tracebacks.append(traceback.format_exc())


def send(visitor: Visitor, target: Target, values: dict) -> int:
    """One request, in a transaction rolled back after it; returns the status code."""
    path = target.path.format(**{name: quote(str(values[name]), safe="") for name in target.path_params})
    data: dict = {name: values[name] for name in target.params if values[name] != OMIT}
    with transaction.atomic():
        try:
            response = visitor.send(target.method, path, data, {name: values[name] for name in target.files})
        finally:
            transaction.set_rollback(True)
    return response.status_code


def shown(values: dict) -> str:
    """The request's values for a failure message, each cut short."""
    return repr({name: (repr(value)[:200] if len(repr(value)) > 200 else value) for name, value in values.items()})


@contextmanager
def quiet_requests():
    """Thousands of 4xx answers would each log a warning, and a server error its traceback, which
    the failure message carries anyway."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def fuzz(target: Target, visitors: dict[str, Visitor], tally: Tally, scale: float = 1.0) -> None:
    """Send `target.examples` (times `scale`) generated requests, two in five with every value hostile;
    fail on the first server error or unexpected status, with the request hypothesis shrank it to and
    the server's traceback."""
    examples = max(2, round(target.examples * scale))
    with quiet_requests():
        for everything, share in ((True, examples * 2 // 5), (False, examples - examples * 2 // 5)):
            _property(target, visitors[target.client], tally, everything, max(1, share))()


def _property(target: Target, visitor: Visitor, tally: Tally, everything: bool, examples: int) -> Callable[[], None]:
    @settings(max_examples=examples, derandomize=True, database=None, deadline=timedelta(seconds=5),
              phases=(Phase.explicit, Phase.generate, Phase.shrink), print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(cases(target, everything))
    def one_request(case: tuple[dict, set[str]]) -> None:
        values, attacked = case
        visitor.tracebacks.clear()
        status = send(visitor, target, values)
        tally.count(values, attacked, status)
        if status not in target.expected:
            raise AssertionError(f"{target.name}: status {status} for {shown(values)}\n"
                                 + "".join(visitor.tracebacks)[-3000:])

    return one_request


# --- The case file every example starts from. ---

@dataclass
class World:
    unconfirmed: Notice
    review: Notice  # two listings in review with its reviewer, and an evidence file
    asked: Notice  # waiting for the submitter's answer
    removal: Decision  # a removal its seller may counter and appeal
    checked_counter_notice: int  # a counter-notice waiting for its check
    waiting_counter_notice: int  # a complete one, its listing's restore pending: a lawsuit may be reported
    waiting_notice: Notice  # the notice of that counter-notice's removal
    rejection: Decision  # a rejection its submitter may appeal
    penalty: Penalty  # appealed by the seller
    appeal: int
    evidence_id: int
    reviewer: Reviewer
    lead: Reviewer
    reason_codes: tuple[str, ...]
    notifier_measure: NotifierMeasure  # a warning for the submitter of `review`, not appealed
    notifier_appeal: int  # an appeal against another notifier's warning, which `lead` did not decide
    notifier_proposal: int  # a third notifier's proposal, waiting for a lead


def counted_never_refused(settings) -> None:
    """The rate limits (takedowns/limits.py) count every request, hostile values as keys included, but
    refuse none: a page refused with 429 would never reach the code behind it, which is what is fuzzed."""
    settings.RATE_LIMITS = {action: {"address": "1000000/h", "email": "1000000/h"} for action in settings.RATE_LIMITS}
    settings.RATE_LIMIT_PENDING_CONFIRMATIONS = 1_000_000


def build_world(now: datetime, reviewers: dict[str, Reviewer], lead: Reviewer) -> World:
    """Every kind of case a form acts on, built through the workflow (on factories.make_catalogue)."""
    acme, bright = Seller.objects.get(external_id="S-1"), Seller.objects.get(external_id="S-2")
    for number in range(1, 12):
        Listing.objects.create(external_id=f"L-3000{number:02d}", seller=bright if number > 4 else acme,
                               title=f"Fuzz {number}", category="shoes", price=Decimal("9.99"))
    review = factories.routed(now, [("L-300001", "counterfeit"), ("L-300002", "counterfeit")])
    file = SimpleUploadedFile("buy.pdf", factories.PDF_BYTES)
    stored = evidence.store(review.submission_key, "test_buy", file, "application/pdf", notice=review)
    asked = factories.routed(now, [("L-300003", "counterfeit")])
    workflow.request_information(asked, asked.assigned_to, [asked.items.get().pk], "Which model?", now)
    removal = factories.taken_down(now, "L-300005")
    factories.apply_penalties(now)
    checked = counter_notices.file_counter_notice(factories.taken_down(now, "L-300006"),
                                                  factories.COUNTER_NOTICE_FIELDS, now)
    waiting = counter_notices.accept_counter_notice(
        counter_notices.file_counter_notice(factories.taken_down(now, "L-300007"), factories.COUNTER_NOTICE_FIELDS,
                                            now), reviewers["cr"], now)
    rejection = factories.decision_of(factories.decided(now, {"L-300004": factories.REJECT}))
    penalty = Penalty.objects.order_by("id").first()
    assert penalty is not None, "the demo seller's third strike brings a penalty"
    appeal = appeals.file_appeal(penalty=penalty, appellant="seller", text=factories.SELLER_APPEAL_TEXT, now=now)
    notifier_measure, notifier_appeal, notifier_proposal = _notifier_cases(now)
    return World(factories.file_notice(now), review, asked, removal, checked.pk, waiting.pk,
                 Notice.objects.get(items__decisions__counter_notice=waiting), rejection, penalty,
                 appeal.pk, stored.pk, review.assigned_to, lead,
                 tuple(str(pk) for pk in ReasonCode.objects.values_list("pk", flat=True)),
                 notifier_measure, notifier_appeal.pk, notifier_proposal.pk)


def _notifier_cases(now: datetime) -> tuple[NotifierMeasure, NotifierAppeal, NotifierProposal]:
    """Notifier misuse (DSA Art. 23): a warning for Anna (who filed `review`), decided by another lead;
    Bob's warning, appealed; and a proposal about Cora, waiting."""
    judge = factories.make_lead("judge")
    measure = factories.warned(now, judge, listing="L-300008")
    bobs = factories.warned(now, judge, email="bob@brand.example", listing="L-300009")
    appeal = notifier_misuse.file_appeal(bobs, "My notices were right: the listings sell copies of our goods.", now)
    factories.decided(now, {"L-300010": factories.REJECT}, code=factories.UNFOUNDED_CODE,
                      submitter_email="cora@corabrands.example")
    with override_settings(NOTIFIER_MISUSE_MIN_COUNT=1, NOTIFIER_MISUSE_MIN_SHARE_PERCENT=1):
        [proposal] = notifier_misuse.raise_proposals(now)
    return measure, appeal, proposal


def visitors_for(world: World) -> dict[str, Visitor]:
    """Anonymous, the notice's reviewer and a lead, each logged in with a session of their own."""
    sessions = {}
    for name, reviewer in (("reviewer", world.reviewer), ("lead", world.lead)):
        client = Client()
        factories.log_in(client, reviewer)  # leads with their second factor given, as after the login page
        sessions[name] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {"anonymous": Visitor(), **{name: Visitor(key) for name, key in sessions.items()}}


def all_targets(world: World) -> list[Target]:
    return [*public_targets(world), *seller_targets(world), *review_targets(world), *lead_targets(world),
            *upload_targets()]


def _track(notice: Notice) -> dict[str, tuple[str, ...]]:
    return {"reference": (notice.reference,), "token": (notice.tracking_token,)}


def _notice_form() -> dict[str, tuple]:
    fields = {name: (value,) for name, value in factories.notice_fields().items() if isinstance(value, str)}
    fields.update(submitter_role=("owner", "agent"), language=("en", "de", "zh-hans"),
                  good_faith_statement=("on",), accuracy_statement=("on",),
                  pasted_listings=("", "L-100002", "https://portal.test/listings/L-100002/"),
                  pasted_reason=("", "counterfeit"), remove_evidence=(OMIT,), kept_evidence=(OMIT,),
                  submission_key=("4d9b8a52-7b8e-4f8e-9a37-0c5c2d5b1f10", OMIT))
    fields.update({"items-TOTAL_FORMS": ("3",), "items-INITIAL_FORMS": ("0",), "items-MIN_NUM_FORMS": ("3",),
                   "items-MAX_NUM_FORMS": ("200",), "items-0-reported": ("L-100001", "https://portal.test/L-1"),
                   "items-0-reason": ("counterfeit",), "items-1-reported": ("",), "items-1-reason": ("",),
                   "items-2-reported": ("",), "items-2-reason": ("",)})
    return fields


def public_targets(world: World) -> list[Target]:
    unconfirmed, review, asked, rejection = world.unconfirmed, world.review, world.asked, world.rejection
    confirm = {"reference": (unconfirmed.reference,), "token": (unconfirmed.confirmation_token,)}
    return [
        Target("the notice form (page)", "anonymous", "GET", "/notices/new/", params={"listing": ("L-100001",)},
               expected=OK, examples=60),
        Target("the notice form", "anonymous", "POST", "/notices/new/", params=_notice_form(),
               files=("registration_certificate", "authorisation_letter", "test_buy", "other_evidence"),
               expected=frozenset({302, 400}), examples=200),
        Target("the filed page", "anonymous", "GET", "/notices/filed/{key}/",
               {"key": (str(unconfirmed.submission_key),)}, expected=FOUND, examples=60),
        Target("confirmation (page)", "anonymous", "GET", "/confirm/{reference}/{token}/", confirm,
               expected=FOUND | {302}, examples=60),
        Target("confirmation", "anonymous", "POST", "/confirm/{reference}/{token}/", confirm, expected=FORM,
               examples=40),
        Target("the tracking page", "anonymous", "GET", "/track/{reference}/{token}/", _track(review),
               expected=FOUND, examples=60),
        Target("withdrawing", "anonymous", "POST", "/track/{reference}/{token}/withdraw/", _track(review),
               {"confirm": ("on",)}, expected=FORM, examples=60),
        Target("answering a question", "anonymous", "POST", "/track/{reference}/{token}/answer/", _track(asked),
               {"answer": ("It is the model X2.",)}, files=("files",), expected=FORM, examples=80),
        Target("reporting a lawsuit", "anonymous", "POST",
               "/track/{reference}/{token}/counter-notices/{counter_notice}/lawsuit/",
               {**_track(world.waiting_notice), "counter_notice": (str(world.waiting_counter_notice),)},
               {"details": ("District Court, case 1:26-cv-1",)}, expected=FORM, examples=80),
        Target("the submitter's appeal", "anonymous", "POST", "/track/{reference}/{token}/appeal/{decision}/",
               {**_track(rejection.item.notice), "decision": (str(rejection.pk),)},
               {"text": (factories.SUBMITTER_APPEAL_TEXT,)}, expected=FORM, examples=80),
        Target("the catalogue", "anonymous", "GET", "/listings/",
               params={"q": ("", "Listing"), "category": ("", "toys"), "after": ("", "1", "3")}, examples=250),
        Target("a listing", "anonymous", "GET", "/listings/{listing}/", {"listing": ("L-100001",)},
               expected=FOUND, examples=60),
        Target("the transparency report", "anonymous", "GET", "/transparency/{period}/", {"period": ("2026-11",)},
               expected=FOUND, examples=60),
        Target("the report as JSON", "anonymous", "GET", "/transparency/{period}.json", {"period": ("2026-H2",)},
               expected=FOUND, examples=60),
        Target("the report as CSV", "anonymous", "GET", "/transparency/{period}.csv", {"period": ("2026-10",)},
               expected=FOUND, examples=60),
        *notifier_targets(world),
        Target("logging in", "anonymous", "POST", "/review/login/",
               params={"username": ("tm", "nobody"), "password": ("wrong",), "next": ("/review/", OMIT)},
               expected=frozenset({200, 302, 403, 429}), examples=160),
    ]


def notifier_targets(world: World) -> list[Target]:
    """The notifier's pages about a measure (DSA Art. 23) and the public policy."""
    measure = world.notifier_measure
    link = {"measure": (str(measure.pk),), "token": (measure.token,)}
    text = {"text": ("The listings do use our mark: see the photos in each notice.",)}
    return [
        Target("the notifier misuse policy", "anonymous", "GET", "/policies/notifier-misuse/",
               params={"x": ("",)}, expected=OK, examples=20),
        Target("a notifier's measure", "anonymous", "GET", "/notifier-measures/{measure}/{token}/", link,
               expected=FOUND, examples=40),
        Target("a notifier's appeal", "anonymous", "POST", "/notifier-measures/{measure}/{token}/appeal/", link,
               text, expected=FORM, examples=60),
        Target("a notifier's appeal from a tracking page", "anonymous", "POST",
               "/track/{reference}/{token}/notifier-measures/{measure}/appeal/",
               {**_track(world.review), "measure": (str(measure.pk),)}, text, expected=FORM, examples=60),
    ]


def seller_targets(world: World) -> list[Target]:
    removal, penalty = world.removal, world.penalty
    statement = {"decision": (str(removal.pk),), "token": (removal.seller_token,)}
    penalty_link = {"penalty": (str(penalty.pk),), "token": (penalty.seller_token,)}
    counter_notice = {name: (value,) for name, value in factories.COUNTER_NOTICE_FIELDS.items()
                      if isinstance(value, str)}
    counter_notice.update(statement_mistake=("on",), consent_jurisdiction=("on",))
    appeal = {"text": (factories.SELLER_APPEAL_TEXT,)}
    return [
        Target("the statement of reasons", "anonymous", "GET", "/statement/{decision}/{token}/", statement,
               expected=FOUND, examples=60),
        Target("the counter-notice", "anonymous", "POST", "/statement/{decision}/{token}/counter-notice/", statement,
               counter_notice, expected=FORM, examples=200),
        Target("the seller's appeal of a removal", "anonymous", "POST", "/statement/{decision}/{token}/appeal/",
               statement, appeal, expected=FORM, examples=60),
        Target("the penalty statement", "anonymous", "GET", "/penalty/{penalty}/{token}/", penalty_link,
               expected=FOUND, examples=60),
        Target("the seller's appeal of a penalty", "anonymous", "POST", "/penalty/{penalty}/{token}/appeal/",
               penalty_link, appeal, expected=FORM, examples=50),
    ]


def _decision_form(world: World) -> dict[str, tuple]:
    items = [str(pk) for pk in world.review.items.order_by("position").values_list("pk", flat=True)]
    codes, actions = ("", *world.reason_codes), ("", "remove", "reject", "ask")
    fields: dict[str, tuple] = {"item-TOTAL_FORMS": ("2",), "item-INITIAL_FORMS": ("2",),
                                "item-MIN_NUM_FORMS": ("0",), "item-MAX_NUM_FORMS": ("2",)}
    for index, item in enumerate(items):
        fields.update({f"item-{index}-item": (item,), f"item-{index}-action": actions,
                       f"item-{index}-reason_code": codes, f"item-{index}-note": ("", "Checked the photos.")})
    fields.update(all_action=actions, all_reason_code=codes, question=("", "Which model is it?"))
    return fields


def review_targets(world: World) -> list[Target]:
    notice = {"reference": (world.review.reference,)}
    counter_notice = {"counter_notice": (str(world.checked_counter_notice),)}
    return [
        Target("the review queue", "reviewer", "GET", "/review/", params={
            "status": ("", "in_review"), "right_type": ("", "trademark"), "reason": ("", "counterfeit"),
            "scope": ("", "mine", "all"), "trust": ("", "trusted_flagger"), "risk": ("", "high"), "after": ("",)},
               examples=160),
        Target("the notice page", "reviewer", "GET", "/review/notices/{reference}/", notice,
               expected=FOUND, examples=60),
        Target("the decision form", "reviewer", "POST", "/review/notices/{reference}/decide/", notice,
               _decision_form(world), expected=FORM, examples=200),
        Target("escalating", "reviewer", "POST", "/review/notices/{reference}/escalate/", notice,
               {"note": ("Needs a lead: a possible fake law firm.",)}, expected=FORM, examples=60),
        Target("claiming", "reviewer", "POST", "/review/notices/{reference}/claim/", notice, expected=FORM,
               examples=40),
        Target("releasing", "reviewer", "POST", "/review/notices/{reference}/release/", notice, expected=FORM,
               examples=40),
        Target("an evidence file", "reviewer", "GET", "/review/evidence/{evidence}/",
               {"evidence": (str(world.evidence_id),)}, expected=FOUND, examples=60),
        Target("the counter-notices to check", "reviewer", "GET", "/review/counter-notices/",
               params={"status": ("", "filed", "accepted"), "after": ("",)}, examples=80),
        Target("a counter-notice", "reviewer", "GET", "/review/counter-notices/{counter_notice}/", counter_notice,
               expected=FOUND, examples=60),
        Target("finding a counter-notice complete", "reviewer", "POST",
               "/review/counter-notices/{counter_notice}/accept/", counter_notice, expected=FORM, examples=30),
        Target("returning a counter-notice", "reviewer", "POST", "/review/counter-notices/{counter_notice}/incomplete/",
               counter_notice, {"reason": ("The address lacks the country.",)}, expected=FORM, examples=60),
        Target("the appeals to decide", "reviewer", "GET", "/review/appeals/", params={"after": ("",)},
               expected=OK, examples=40),
    ]


def lead_targets(world: World) -> list[Target]:
    notice = {"reference": (world.review.reference,)}
    appeal = {"appeal": (str(world.appeal),)}
    period = {"from": ("", "2026-10-01"), "to": ("", "2026-10-31")}
    return [
        Target("reassigning", "lead", "POST", "/review/notices/{reference}/reassign/", notice,
               {"reviewer": (str(world.reviewer.pk), str(world.lead.pk))}, expected=FORM, examples=60),
        Target("an appeal", "lead", "GET", "/review/appeals/{appeal}/", appeal, expected=FOUND,
               examples=30),
        Target("deciding an appeal", "lead", "POST", "/review/appeals/{appeal}/decide/", appeal,
               {"outcome": ("upheld", "reversed"), "reasons": ("The penalty follows the ladder.",)},
               expected=FORM | {403}, examples=80),
        *notifier_lead_targets(world),
        Target("the dashboard", "lead", "GET", "/review/dashboard/", params=period, examples=120),
        Target("the dashboard's figures", "lead", "GET", "/review/dashboard/figures.csv", params=period,
               examples=80),
        Target("the dashboard's durations", "lead", "GET", "/review/dashboard/durations.csv", params=period,
               examples=80),
        Target("TDB statements", "lead", "GET", "/review/decisions/tdb.json",
               params={"ids": (str(world.removal.pk), f"{world.removal.pk},{world.rejection.pk}")}, examples=200),
        Target("a TDB statement", "lead", "GET", "/review/decisions/{decision}/tdb.json",
               {"decision": (str(world.removal.pk),)}, expected=FOUND, examples=60),
        Target("a penalty's TDB statement", "lead", "GET", "/review/penalties/{penalty}/tdb.json",
               {"penalty": (str(world.penalty.pk),)}, expected=FOUND, examples=60),
    ]


def notifier_lead_targets(world: World) -> list[Target]:
    """The leads' notifier misuse pages: proposals to decide or dismiss, appeals to decide."""
    proposal = {"proposal": (str(world.notifier_proposal),)}
    appeal = {"appeal": (str(world.notifier_appeal),)}
    return [
        Target("the notifier cases", "lead", "GET", "/review/notifiers/", params={"x": ("",)}, expected=OK,
               examples=20),
        Target("a notifier proposal", "lead", "GET", "/review/notifiers/proposals/{proposal}/", proposal,
               expected=FOUND, examples=30),
        Target("deciding a notifier proposal", "lead", "POST", "/review/notifiers/proposals/{proposal}/decide/",
               proposal, {"statement": ("Nine in ten of your notices named listings that do not use your mark.",)},
               expected=FORM, examples=60),
        Target("dismissing a notifier proposal", "lead", "POST", "/review/notifiers/proposals/{proposal}/dismiss/",
               proposal, {"reasons": ("The listings were ambiguous.",)}, expected=FORM, examples=60),
        Target("a notifier appeal", "lead", "GET", "/review/notifiers/appeals/{appeal}/", appeal, expected=FOUND,
               examples=30),
        Target("deciding a notifier appeal", "lead", "POST", "/review/notifiers/appeals/{appeal}/decide/", appeal,
               {"outcome": ("upheld", "reversed"), "reasons": ("The figures stand.",)}, expected=FORM | {403},
               examples=60),
    ]


# --- issue 15: the CSV upload under an organisation's private link (views/uploads.py) ---

def upload_targets() -> list[Target]:
    """The template, the upload form (its file too), an upload's page, progress, problems and filing."""
    now = datetime.now(tz=UTC)
    organisation = factories.upload_organisation(now, domain="fuzz-uploads.example")
    email = "mia@fuzz-uploads.example"
    upload = factories.checked_upload(now, organisation=organisation,
                                      fields={**factories.UPLOAD_FIELDS, "submitter_email": email})
    link = {"reference": (organisation.reference,), "token": (organisation.tracking_token,)}
    page = {**link, "upload": (str(upload.public_id),)}
    fields = {name: ("on" if value is True else value,) for name, value in factories.UPLOAD_FIELDS.items()}
    fields.update(submitter_email=(email,), submission_key=("3b8f4c1e-0c5d-4c57-9f7e-2a1d5b6c7d8e",),
                  previous=("", str(upload.public_id)))
    base = "/organisations/{reference}/{token}/uploads/"
    return [
        Target("the CSV template", "anonymous", "GET", "/organisations/uploads/template.csv", params={"x": ("",)},
               expected=OK, examples=10),
        Target("the CSV upload form", "anonymous", "GET", base + "new/", link, {"from": (str(upload.public_id),)},
               expected=FOUND, examples=30),
        Target("uploading a CSV file", "anonymous", "POST", base + "new/", link, fields, files=("file",),
               expected=FORM, examples=80),
        Target("a CSV upload's page", "anonymous", "GET", base + "{upload}/", page, expected=FOUND, examples=30),
        Target("a CSV upload's progress", "anonymous", "GET", base + "{upload}/progress", page, expected=FOUND,
               examples=30),
        Target("a CSV upload's problems", "anonymous", "GET", base + "{upload}/errors.csv", page, expected=FOUND,
               examples=20),
        Target("filing a CSV upload", "anonymous", "POST", base + "{upload}/file/", page, expected=FORM,
               examples=30),
    ]
