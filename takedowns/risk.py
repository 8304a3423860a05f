"""Competitor-abuse screening of notices (PRODUCT.md "Trust, abuse and priority": fake law firms, bulk
false claims). At routing each enabled rule (a RiskRule row a lead tunes in the admin) looks at the
facts gathered once for the notice and, when it fires, adds its points to the notice's risk score
with a sentence naming the facts. The score's band decides the handling (workflow/routing.py): a
high-risk notice goes only to a reviewer a lead designated, and never down the good-faith fast path.

Screening reads three statements for a notice (the enabled rules; one SELECT of indexed scalar
subqueries about earlier notices: the domain's, the registration's, those against each reported
seller; the sellers linked to the notifier), up to three more when the notifier has seller accounts of its own
(sellers sharing their address or payout account, the categories they sell in); a disabled rule's
query is skipped. The rules themselves are pure functions of the facts. The sentences carry no personal data
(domains, seller IDs, register data and counts), so retention leaves them as they are.
"""

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet

from takedowns.enums import RiskBand, RiskRuleCode
from takedowns.models import Listing, Notice, NoticeItem, Right, RiskRule, Seller, address_key, domain_of

# The parameters each rule needs (the admin's form requires them): threshold, window.
PARAMETERS: dict[str, tuple[str, ...]] = {
    RiskRuleCode.NEW_DOMAIN_COMPANY: ("window",),
    RiskRuleCode.SELLER_BURST: ("threshold", "window"),
    RiskRuleCode.FIRST_NOTICE_MANY_LISTINGS: ("threshold",),
    RiskRuleCode.REGISTRATION_REUSED: ("threshold", "window"),
}
LINKED_SELLERS_SHOWN = 50  # a notifier linked to more sellers than this is named by the first ones


def span(window: timedelta) -> str:
    """1 day, 30 days, 6 hours, 90 minutes: a rule's window in a reason's sentence."""
    seconds = int(window.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}{'s' if seconds // size != 1 else ''}"
    return f"{seconds} seconds"


def free_mail_domains() -> frozenset[str]:
    """Where anyone can get an address: an organisation writing from one is not shown to be that
    organisation (the setting FREE_MAIL_DOMAINS, which the notifier misuse ladder reads too)."""
    return frozenset(settings.FREE_MAIL_DOMAINS)


def band_for(score: int) -> str:
    if score >= settings.RISK_HIGH_SCORE:
        return RiskBand.HIGH
    if score >= settings.RISK_MEDIUM_SCORE:
        return RiskBand.MEDIUM
    return RiskBand.LOW


def name_tokens(name: str) -> frozenset[str]:
    """A company or person's name as a set of lower-case words, punctuation ignored."""
    return frozenset(re.findall(r"\w+", name.casefold()))


def same_owner(named: str, registered: str) -> bool:
    """Whether the owner a notice names is the register's: one's words contain the other's
    ("Aerostride" and "Aerostride GmbH" match, "Aerostride GmbH" and "Stride Sports Ltd" do not)."""
    ours, theirs = name_tokens(named), name_tokens(registered)
    return bool(ours and theirs) and (ours <= theirs or theirs <= ours)


# --- The facts, gathered once per notice. ---

@dataclass(frozen=True)
class LinkedSeller:
    """A seller that shares something with the notifier (`links`): its e-mail address or domain, or,
    with one of the notifier's own seller accounts, its registered address or payout account."""
    pk: int
    external_id: str
    email: str
    links: tuple[str, ...]
    competing_category: str | None = None  # a category of the reported listings it sells in, if any


@dataclass(frozen=True)
class Facts:
    email: str
    domain: str
    free_mail: bool
    organisation_claimed: bool
    right_owner: str
    registration: str
    verified_owner: str | None  # None: the registration is not in the verified register
    first_notice: bool
    listings_per_seller: dict[str, int]  # reported listings found, by seller external ID
    reported_sellers: frozenset[int]
    domain_seen: bool = False
    other_owners: int = 0
    linked: list[LinkedSeller] = field(default_factory=list)
    burst: dict[str, int] = field(default_factory=dict)  # notices against each reported seller in the window


def enabled_rules() -> dict[str, RiskRule]:
    return {rule.code: rule for rule in RiskRule.objects.filter(enabled=True)}


def gather_facts(notice: Notice, found: list[Listing], verified_right: Right | None,
                 rules: dict[str, RiskRule]) -> Facts:
    """What the enabled rules look at (see the module's docstring for the queries)."""
    facts = _base_facts(notice, found, verified_right)
    return replace(facts, **_earlier_notices(notice, facts, found, rules), linked=_linked_sellers(facts, found, rules))


def _base_facts(notice: Notice, found: list[Listing], verified_right: Right | None) -> Facts:
    """The facts of the notice itself, before any query about earlier notices or sellers."""
    email = notice.submitter_email.strip().lower()
    domain = email.rpartition("@")[2]
    distinct = {listing.pk: listing for listing in found}.values()
    return Facts(
        email=email, domain=domain, free_mail=domain in free_mail_domains(),
        organisation_claimed=bool(notice.submitter_organisation.strip()),
        right_owner=notice.right_owner, registration=f"{notice.right_registration_number} ({notice.right_office})",
        verified_owner=verified_right.owner_name if verified_right else None,
        first_notice=notice.submitter is not None and notice.submitter.notices <= 1,
        listings_per_seller=dict(Counter(listing.seller.external_id for listing in distinct)),
        reported_sellers=frozenset(listing.seller_id for listing in distinct),
    )


@cache
def _domain_sql(model: type[Notice] | type[Seller], field: str, vendor: str) -> tuple[str, tuple]:
    """The SQL of models.domain_of(field), as Django compiles it for this database (so that it is the
    very expression the indexes hold), compiled once per process: see _earlier_notices."""
    query = model.objects.annotate(domain=domain_of(field)).query
    sql, params = query.get_compiler(connection=connection).compile(query.annotations["domain"])
    return sql, tuple(params)


def _at(moment: datetime) -> Any:
    """A moment as a raw query's parameter, in the form Django stores it (on SQLite: UTC text)."""
    return connection.ops.adapt_datetimefield_value(moment)


def _earlier_notices(notice: Notice, facts: Facts, found: list[Listing], rules: dict[str, RiskRule]) -> dict:
    """One statement about earlier notices: whether any came from the same domain within the new-domain
    window (EXISTS: it stops at the first), how many other owners named the same registration within
    the reuse window (its index skips the notice's own owner's notices), and per reported seller the
    notices against it within the burst window (_burst). Plain SQL: the ORM took ~6 ms of CPU to build
    these, a third of what routing spends on the rest."""
    parts = _earlier_parts(notice, facts, found, rules)
    if not parts:
        return {}
    return _earlier_counts(dict(zip([name for name, _, _ in parts], _select_scalars(parts), strict=True)))


def _select_scalars(parts: list[tuple[str, str, list]]) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql for _, sql, _ in parts), [value for *_, values in parts
                                                                             for value in values])
        return cursor.fetchone()


def _earlier_counts(counted: dict[str, Any]) -> dict:
    return {"domain_seen": bool(counted.get("domain_seen")), "other_owners": counted.get("other_owners", 0),
            "burst": {name.removeprefix("burst:"): count + 1 for name, count in counted.items()
                      if name.startswith("burst:") and count is not None}}


def _earlier_parts(notice: Notice, facts: Facts, found: list[Listing],
                   rules: dict[str, RiskRule]) -> list[tuple[str, str, list]]:
    """The scalar subqueries of _earlier_notices: (name, SQL, parameters)."""
    domain_rule, reuse_rule = rules.get(RiskRuleCode.NEW_DOMAIN_COMPANY), rules.get(RiskRuleCode.REGISTRATION_REUSED)
    at, table = notice.confirmed_at, Notice._meta.db_table
    if at is None:
        return []
    parts: list[tuple[str, str, list]] = []  # (name, scalar subquery, its parameters)
    if domain_rule and domain_rule.window and facts.organisation_claimed and not facts.free_mail:
        domain, domain_params = _domain_sql(Notice, "submitter_email", connection.vendor)
        parts.append(("domain_seen", f"EXISTS (SELECT 1 FROM {table} WHERE {domain} = %s AND confirmed_at >= %s "
                                     "AND confirmed_at < %s AND id <> %s)",
                      [*domain_params, facts.domain, _at(at - domain_rule.window), _at(at), notice.pk]))
    if reuse_rule and reuse_rule.window:
        parts.append(("other_owners", f"(SELECT COUNT(DISTINCT UPPER(right_owner)) FROM {table} "
                                      "WHERE UPPER(right_registration_number) = UPPER(%s) AND (UPPER(right_owner) < "
                                      "UPPER(%s) OR UPPER(right_owner) > UPPER(%s)) AND confirmed_at >= %s "
                                      "AND confirmed_at < %s AND right_type = %s AND id <> %s)",
                      [notice.right_registration_number.strip(), notice.right_owner, notice.right_owner,
                       _at(at - reuse_rule.window), _at(at), notice.right_type, notice.pk]))
    return parts + _burst(notice, found, rules)


def _linked_sellers(facts: Facts, found: list[Listing], rules: dict[str, RiskRule]) -> list[LinkedSeller]:
    """Sellers with the notifier's address or (not free-mail) domain: one query on the seller_email and
    seller_email_domain indexes, which usually finds none. When it finds some, the sellers sharing their
    registered address or payout account (a query each, on seller_address and seller_payment_identity)
    and, for all of them, a category of the reported listings each sells in (one query)."""
    if not ({RiskRuleCode.NOTIFIER_IS_SELLER, RiskRuleCode.COMPETING_SELLER} & rules.keys()):
        return []
    where, params = "UPPER(email) = UPPER(%s)", [facts.email]
    if not facts.free_mail:
        domain, domain_params = _domain_sql(Seller, "email", connection.vendor)
        where, params = f"{where} OR {domain} = %s", [*params, *domain_params, facts.domain]
    with connection.cursor() as cursor:  # plain SQL on the usual path, as in _earlier_notices
        cursor.execute(f"SELECT id, external_id, email, address, payment_identity FROM {Seller._meta.db_table} "
                       f"WHERE {where} ORDER BY id LIMIT {LINKED_SELLERS_SHOWN}", params)
        rows = cursor.fetchall()
    return _linked_from(facts, found, rows)


def _linked_from(facts: Facts, found: list[Listing], rows: list[tuple]) -> list[LinkedSeller]:
    """_linked_sellers' work once the sellers with the notifier's address or domain (`rows`) are read."""
    linked = {pk: LinkedSeller(pk, external_id, email, ("e-mail address" if email.lower() == facts.email
                                                         else "e-mail domain",))
              for pk, external_id, email, _, _ in rows}
    notifiers = Q(email__iexact=facts.email)
    if not facts.free_mail:
        notifiers |= Q(email_domain=facts.domain)
    shared: list[tuple[str, QuerySet]] = []
    own = Seller.objects.alias(email_domain=domain_of("email")).filter(notifiers) if rows else Seller.objects.none()
    if any(address for *_, address, _ in rows):
        keys = own.exclude(address="").annotate(key=address_key("address")).values("key")
        shared.append(("registered address", Seller.objects.alias(key=address_key("address"))
                       .filter(~Q(address=""), key__in=keys)))  # ~Q(address=""): seller_address is partial
    if any(payment for *_, payment in rows):
        shared.append(("payout account", Seller.objects.filter(
            ~Q(payment_identity=""), payment_identity__in=own.exclude(payment_identity="").values("payment_identity"))))
    for link, sellers in shared:
        for pk, external_id, email in sellers.exclude(pk__in=[row[0] for row in rows]).values_list(
                "pk", "external_id", "email")[:LINKED_SELLERS_SHOWN]:
            known = linked.get(pk) or LinkedSeller(pk, external_id, email, ())
            linked[pk] = replace(known, links=(*known.links, link))
    return _with_categories(list(linked.values()), {listing.category for listing in found})


def _with_categories(linked: list[LinkedSeller], categories: set[str]) -> list[LinkedSeller]:
    if not linked or not categories:
        return linked
    sells = dict(Listing.objects.filter(seller_id__in=[seller.pk for seller in linked], category__in=categories)
                 .order_by("seller_id", "category").values_list("seller_id", "category").distinct())
    return [replace(seller, competing_category=sells.get(seller.pk)) for seller in linked]


def _burst(notice: Notice, found: list[Listing], rules: dict[str, RiskRule]) -> list[tuple[str, str, list]]:
    """Per reported seller, a scalar subquery for _earlier_notices: the other notices naming its
    listings filed within the burst window (the rule adds this one). It reads the items' copies of
    the seller and the filing time (written by routing) on item_seller_filed: one index range the
    size of the window, however many notices the seller has had before it."""
    rule = rules.get(RiskRuleCode.SELLER_BURST)
    if rule is None or rule.window is None:
        return []
    items = connection.ops.quote_name(NoticeItem._meta.db_table)
    sellers = sorted({(listing.seller_id, listing.seller.external_id) for listing in found})
    return [(f"burst:{external_id}",
             f"(SELECT COUNT(DISTINCT notice_id) FROM {items} WHERE seller_id = %s AND filed_at > %s "
             f"AND filed_at <= %s AND notice_id <> %s)",
             [seller_id, _at(notice.created_at - rule.window), _at(notice.created_at), notice.pk])
            for seller_id, external_id in sellers]


# --- The rules: each returns the sentence a reviewer reads when it fires, else None. ---

def _free_mail_company(rule: RiskRule, facts: Facts) -> str | None:
    if facts.organisation_claimed and facts.free_mail:
        return f"writes from the free-mail domain {facts.domain} while naming an organisation"
    return None


def _new_domain_company(rule: RiskRule, facts: Facts) -> str | None:
    if facts.organisation_claimed and not facts.free_mail and not facts.domain_seen and rule.window is not None:
        return (f"first notice from this e-mail domain in {span(rule.window)}, "
                "from a notifier naming an organisation")
    return None


def _owner_mismatch(rule: RiskRule, facts: Facts) -> str | None:
    if facts.verified_owner is not None and not same_owner(facts.right_owner, facts.verified_owner):
        return f"the rights owner named is not the verified right's owner, {facts.verified_owner}"
    return None


def _notifier_is_seller(rule: RiskRule, facts: Facts) -> str | None:
    own = [seller.external_id for seller in facts.linked if "e-mail address" in seller.links]
    if own:
        return f"the notifier's e-mail address is that of seller {', '.join(own)} on the marketplace"
    return None


def _competing_seller(rule: RiskRule, facts: Facts) -> str | None:
    sentences = [f"seller {seller.external_id}, which also sells {seller.competing_category}, shares the "
                 f"notifier's {' and '.join(seller.links)}"
                 for seller in sorted(facts.linked, key=lambda seller: seller.pk)
                 if seller.competing_category is not None and seller.pk not in facts.reported_sellers]
    return "; ".join(sentences) or None


def _seller_burst(rule: RiskRule, facts: Facts) -> str | None:
    hit = [(seller, count) for seller, count in sorted(facts.burst.items())
           if rule.threshold is not None and count >= rule.threshold]
    if hit and rule.window is not None:
        return "; ".join(f"{count} notices against seller {seller} within {span(rule.window)}, "
                         "this one included" for seller, count in hit)
    return None


def _first_notice_many_listings(rule: RiskRule, facts: Facts) -> str | None:
    hit = [(seller, count) for seller, count in sorted(facts.listings_per_seller.items())
           if rule.threshold is not None and count >= rule.threshold]
    if facts.first_notice and hit:
        return "first notice from this address, naming " + "; ".join(
            f"{count} listings of seller {seller}" for seller, count in hit)
    return None


def _registration_unknown(rule: RiskRule, facts: Facts) -> str | None:
    if facts.verified_owner is None:
        return f"registration {facts.registration} is not in the verified register"
    return None


def _registration_reused(rule: RiskRule, facts: Facts) -> str | None:
    if rule.threshold is not None and rule.window is not None and facts.other_owners >= rule.threshold:
        return (f"registration {facts.registration} was named for {facts.other_owners} other owners in "
                f"{span(rule.window)}")
    return None


RULES: dict[str, Callable[[RiskRule, Facts], str | None]] = {
    RiskRuleCode.FREE_MAIL_COMPANY: _free_mail_company,
    RiskRuleCode.NEW_DOMAIN_COMPANY: _new_domain_company,
    RiskRuleCode.OWNER_MISMATCH: _owner_mismatch,
    RiskRuleCode.NOTIFIER_IS_SELLER: _notifier_is_seller,
    RiskRuleCode.COMPETING_SELLER: _competing_seller,
    RiskRuleCode.SELLER_BURST: _seller_burst,
    RiskRuleCode.FIRST_NOTICE_MANY_LISTINGS: _first_notice_many_listings,
    RiskRuleCode.REGISTRATION_UNKNOWN: _registration_unknown,
    RiskRuleCode.REGISTRATION_REUSED: _registration_reused,
}


@dataclass(frozen=True)
class Assessment:
    score: int
    band: str
    reasons: list[dict]  # {"code", "points", "text"}, the most points first

    @property
    def high(self) -> bool:
        return self.band == RiskBand.HIGH


def assess(rules: dict[str, RiskRule], facts: Facts) -> Assessment:
    """The score is the sum of the points of the rules that fire; the band follows from it."""
    reasons: list[dict] = []
    score = 0
    for code in RiskRuleCode.values:
        rule = rules.get(code)
        text = RULES[code](rule, facts) if rule is not None else None
        if rule is not None and text is not None:
            reasons.append({"code": code, "points": rule.points, "text": text})
            score += rule.points
    reasons.sort(key=lambda reason: -reason["points"])  # the weightiest first, ties in RiskRuleCode order
    return Assessment(score, band_for(score), reasons)


def screen(notice: Notice, found: list[Listing], verified_right: Right | None) -> Assessment:
    """Routing's one call: the enabled rules, their facts, the assessment."""
    rules = enabled_rules()
    if not rules:
        return Assessment(0, RiskBand.LOW, [])
    return assess(rules, gather_facts(notice, found, verified_right, rules))


# --- Issue 15: screening a batch of notices (routing in batches, workflow/routing.route_notices). ---

SCALARS_PER_SELECT = 500  # SQLite returns at most 2,000 columns; a notice naming many sellers has one each


# A notice's items as the burst rule's index sees them: (seller id, filed at) of each, before and after routing.
Footprint = tuple[frozenset[tuple[int, datetime]], frozenset[tuple[int, datetime]]]


def screen_many(cases: list[tuple[Notice, list[Listing], Right | None]],
                footprints: list[Footprint] | None = None) -> list[Assessment]:
    """screen() for each (notice, found listings, verified right) of a batch whose resolutions are saved,
    with the outcome of screening them one after the other in this order, in a few statements for all: the
    enabled rules; the scalar subqueries about earlier notices of every notice in one SELECT (per
    SCALARS_PER_SELECT); the sellers with any notifier's address or domain in one SELECT. Only a notifier
    who has such sellers costs the follow-up queries of _linked_from, as in screen(). `footprints`: each
    notice's items before and after this routing, so that a notice's burst count leaves out the later
    notices of the batch that the one-by-one order would not have resolved yet (_as_one_by_one)."""
    rules = enabled_rules()
    if not rules:
        return [Assessment(0, RiskBand.LOW, []) for _ in cases]
    facts = [_base_facts(notice, found, right) for notice, found, right in cases]
    earlier = _earlier_many([(notice, fact, found) for (notice, found, _), fact in zip(cases, facts, strict=True)],
                            rules, footprints)
    linked = _linked_many(facts, [found for _, found, _ in cases], rules)
    return [assess(rules, replace(fact, **earlier[index], linked=linked[index])) for index, fact in enumerate(facts)]


def _earlier_many(cases: list[tuple[Notice, Facts, list[Listing]]], rules: dict[str, RiskRule],
                  footprints: list[Footprint] | None) -> list[dict]:
    """_earlier_notices of each notice, their subqueries selected together."""
    parts = [(f"{index}|{name}", sql, params) for index, (notice, facts, found) in enumerate(cases)
             for name, sql, params in _earlier_parts(notice, facts, found, rules)]
    counted: list[dict[str, Any]] = [{} for _ in cases]
    for start in range(0, len(parts), SCALARS_PER_SELECT):
        chunk = parts[start:start + SCALARS_PER_SELECT]
        for (key, _, _), value in zip(chunk, _select_scalars(chunk), strict=True):
            index, name = key.split("|", 1)
            counted[int(index)][name] = value
    window = rules[RiskRuleCode.SELLER_BURST].window if RiskRuleCode.SELLER_BURST in rules else None
    if footprints is not None and window is not None:
        _as_one_by_one(cases, counted, footprints, window)
    return [_earlier_counts(values) for values in counted]


def _as_one_by_one(cases: list[tuple[Notice, Facts, list[Listing]]], counted: list[dict[str, Any]],
                   footprints: list[Footprint], window: timedelta) -> None:
    """Each notice's burst counts as screening them one after the other would find them: the database
    already holds every notice of the batch resolved, where a later notice would still have its items
    as they were (usually unresolved: no seller, not counted). Subtracts, per seller, each later notice
    that counts now and would not have then."""
    for index, (notice, _, found) in enumerate(cases):
        low, high = notice.created_at - window, notice.created_at
        for seller_id, external_id in {(listing.seller_id, listing.seller.external_id) for listing in found}:
            name = f"burst:{external_id}"
            if counted[index].get(name) is None:
                continue
            for before, after in footprints[index + 1:]:
                counts_now = any(seller == seller_id and low < at <= high for seller, at in after)
                counted_then = any(seller == seller_id and low < at <= high for seller, at in before)
                counted[index][name] -= int(counts_now) - int(counted_then)


def _linked_many(facts: list[Facts], found: list[list[Listing]], rules: dict[str, RiskRule]) -> list[list]:
    """_linked_sellers of each notifier: the sellers with any of their addresses or domains read at once,
    then each notifier's own (the first LINKED_SELLERS_SHOWN by id, as its own query would give)."""
    if not ({RiskRuleCode.NOTIFIER_IS_SELLER, RiskRuleCode.COMPETING_SELLER} & rules.keys()):
        return [[] for _ in facts]
    emails = sorted({fact.email.upper() for fact in facts})
    domains = sorted({fact.domain for fact in facts if not fact.free_mail})
    where, params = f"UPPER(email) IN ({', '.join(['%s'] * len(emails))})", list(emails)
    if domains:
        domain, domain_params = _domain_sql(Seller, "email", connection.vendor)
        where = f"{where} OR {domain} IN ({', '.join(['%s'] * len(domains))})"
        params += [*domain_params, *domains]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, external_id, email, address, payment_identity FROM {Seller._meta.db_table} "
                       f"WHERE {where} ORDER BY id", params)
        rows = cursor.fetchall()
    linked = []
    for fact, listings in zip(facts, found, strict=True):
        own = [row for row in rows if row[2].upper() == fact.email.upper()
               or (not fact.free_mail and row[2].partition("@")[2].lower() == fact.domain)][:LINKED_SELLERS_SHOWN]
        linked.append(_linked_from(fact, listings, own) if own else [])
    return linked
