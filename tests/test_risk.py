"""Risk screening of notices (takedowns/risk.py): each rule fires on its facts and not short of them
(its boundary), the score is the sum of the rules that fired, the band follows from the settings'
thresholds, and a high-risk notice goes only to a designated reviewer, without the good-faith fast
path, or waits unassigned while the leads are e-mailed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from takedowns import risk, workflow
from takedowns.enums import EventKind, NoticeStatus, RiskBand, RiskRuleCode
from takedowns.models import Listing, Notice, Right, RiskRule, Seller, Submitter
from takedowns.workflow import TransitionNotAllowed
from tests.commands import PRODUCTION, run_manage
from tests.factories import confirmed, make_lead, make_reviewer, routed

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
ACME_LISTINGS = [("L-100001", "counterfeit"), ("L-100002", "counterfeit"), ("L-100005", "counterfeit")]


def only(code: str, **parameters) -> RiskRule:
    """Every rule off but `code` (with `parameters`), so a test sees that rule's reason alone."""
    RiskRule.objects.exclude(code=code).update(enabled=False)
    RiskRule.objects.filter(code=code).update(**{"enabled": True, **parameters})
    return RiskRule.objects.get(code=code)


def reasons(notice: Notice) -> list[tuple[str, int, str]]:
    notice.refresh_from_db()
    return [(reason["code"], reason["points"], reason["text"]) for reason in notice.risk_reasons]


def register_aerostride(owner: str = "Aerostride GmbH") -> Right:
    return Right.objects.create(right_type="trademark", registration_number="018234567", office="EUIPO",
                                owner_name=owner)


def rival(email: str = "sales@aerostride.example", category: str = "shoes", **fields) -> Seller:
    """A seller of `category` (L-200001) with this address; not one the notices report."""
    seller = Seller.objects.create(external_id=fields.pop("external_id", "S-9"), name="Rival Shoes", country="DE",
                                   email=email, **fields)
    Listing.objects.create(external_id=f"L-2{seller.pk:05d}", seller=seller, title="Rival's loafers",
                           category=category, price=Decimal("9.99"))
    return seller


# --- The default rules, as the data migration leaves them. ---

def test_the_data_migration_leaves_every_rule_on_with_its_default_tuning():
    assert [(r.code, r.enabled, r.points, r.threshold, r.window) for r in RiskRule.objects.all()] == [
        ("competing_seller", True, 60, None, None),
        ("first_notice_many_listings", True, 25, 10, None),
        ("free_mail_company", True, 25, None, None),
        ("new_domain_company", True, 15, None, timedelta(days=30)),
        ("notifier_is_seller", True, 35, None, None),
        ("owner_mismatch", True, 35, None, None),
        ("registration_reused", True, 40, 2, timedelta(days=180)),
        ("registration_unknown", True, 10, None, None),
        ("seller_burst", True, 30, 5, timedelta(days=1)),
    ]
    assert set(risk.RULES) == set(RiskRuleCode.values)


# --- Each rule: fires, and does not fire just short of it. ---

def test_free_mail_fires_for_an_organisation_writing_from_a_free_mail_domain(now, catalogue, reviewers):
    only(RiskRuleCode.FREE_MAIL_COMPANY)
    notice = routed(now, submitter_email="aerostride.legal@GMAIL.com")
    assert reasons(notice) == [("free_mail_company", 25,
                                "writes from the free-mail domain gmail.com while naming an organisation")]


def test_free_mail_does_not_fire_for_a_person_or_a_company_domain(now, catalogue, reviewers):
    only(RiskRuleCode.FREE_MAIL_COMPANY)
    person = routed(now, submitter_email="claire@gmail.com", submitter_organisation="")
    company = routed(now, [("L-100002", "counterfeit")])
    assert reasons(person) == reasons(company) == []


def test_free_mail_domains_are_a_setting(now, settings, catalogue, reviewers):
    only(RiskRuleCode.FREE_MAIL_COMPANY)
    settings.FREE_MAIL_DOMAINS = ["aerostride.example"]
    assert reasons(routed(now)) == [("free_mail_company", 25, "writes from the free-mail domain aerostride.example "
                                                              "while naming an organisation")]
    assert risk.free_mail_domains() == {"aerostride.example"}


def test_a_new_domain_fires_when_no_notice_came_from_it_within_the_window(now, catalogue, reviewers):
    only(RiskRuleCode.NEW_DOMAIN_COMPANY)
    confirmed(now - 30 * DAY - timedelta(seconds=1), submitter_email="ben@aerostride.example")  # just outside
    notice = routed(now)
    assert reasons(notice) == [("new_domain_company", 15, "first notice from this e-mail domain in 30 days, from a "
                                                          "notifier naming an organisation")]


def test_a_domain_seen_within_the_window_is_not_new(now, catalogue, reviewers):
    only(RiskRuleCode.NEW_DOMAIN_COMPANY)
    confirmed(now - 30 * DAY, submitter_email="Ben@Aerostride.example")  # at the window's edge: within
    assert reasons(routed(now)) == []


def test_a_new_domain_does_not_fire_without_an_organisation_claimed(now, catalogue, reviewers):
    only(RiskRuleCode.NEW_DOMAIN_COMPANY)
    assert reasons(routed(now, submitter_organisation="  ")) == []


def test_an_owner_who_is_not_the_verified_rights_owner_fires(now, catalogue, reviewers):
    only(RiskRuleCode.OWNER_MISMATCH)
    register_aerostride()
    notice = routed(now, right_owner="Stride Sports Ltd")
    assert reasons(notice) == [("owner_mismatch", 35,
                                "the rights owner named is not the verified right's owner, Aerostride GmbH")]


def test_the_verified_owner_named_another_way_does_not_fire(now, catalogue, reviewers):
    only(RiskRuleCode.OWNER_MISMATCH)
    register_aerostride()
    assert reasons(routed(now, right_owner="AEROSTRIDE")) == []
    assert reasons(routed(now, [("L-100002", "counterfeit")], right_owner="aerostride gmbh.")) == []
    Right.objects.all().delete()  # no verified right: nothing to compare (registration_unknown's case)
    assert reasons(routed(now, [("L-100003", "counterfeit")], right_owner="Stride Sports Ltd")) == []


def test_a_notifier_whose_address_is_a_sellers_fires(now, catalogue, reviewers):
    only(RiskRuleCode.NOTIFIER_IS_SELLER)
    rival(email="ANNA@aerostride.example", category="garden")
    assert reasons(routed(now)) == [("notifier_is_seller", 35,
                                     "the notifier's e-mail address is that of seller S-9 on the marketplace")]


def test_a_seller_of_the_same_domain_is_not_the_notifier(now, catalogue, reviewers):
    only(RiskRuleCode.NOTIFIER_IS_SELLER)
    rival(email="sales@aerostride.example")
    assert reasons(routed(now)) == []


def test_a_competing_seller_of_the_notifiers_domain_fires(now, catalogue, reviewers):
    only(RiskRuleCode.COMPETING_SELLER)
    rival(email="sales@Aerostride.example", category="shoes")  # L-100001 is a pair of shoes
    assert reasons(routed(now)) == [("competing_seller", 60,
                                     "seller S-9, which also sells shoes, shares the notifier's e-mail domain")]


def test_a_seller_of_the_domain_in_another_category_or_of_a_free_mail_domain_does_not_compete(now, catalogue,
                                                                                             reviewers):
    only(RiskRuleCode.COMPETING_SELLER)
    rival(email="sales@aerostride.example", category="garden")
    rival(email="someone.else@gmail.com", category="shoes", external_id="S-10")
    assert reasons(routed(now)) == []
    assert reasons(routed(now, [("L-100002", "counterfeit")], submitter_email="anna.b@gmail.com")) == []


def test_a_competing_seller_sharing_the_notifiers_address_or_payout_account_fires(now, catalogue, reviewers):
    only(RiskRuleCode.COMPETING_SELLER)
    # The notifier's own account sells garden tools (no competitor); its twins, under other names, sell shoes.
    rival(email="anna.berger@gmail.com", category="garden", address="Hafenstrasse 1, Hamburg",
          payment_identity="iban-7f3a")
    rival(email="x@shoe-twin.example", category="shoes", external_id="S-10", address="  HAFENSTRASSE 1, hamburg ")
    rival(email="y@pay-twin.example", category="shoes", external_id="S-11", payment_identity="iban-7f3a")
    rival(email="z@twin.example", category="shoes", external_id="S-12", address="Hafenstrasse 1, Hamburg",
          payment_identity="iban-7f3a")
    notice = routed(now, submitter_email="anna.berger@gmail.com", submitter_organisation="")
    assert reasons(notice) == [("competing_seller", 60,
                                "seller S-10, which also sells shoes, shares the notifier's registered address; "
                                "seller S-11, which also sells shoes, shares the notifier's payout account; "
                                "seller S-12, which also sells shoes, shares the notifier's registered address and "
                                "payout account")]


def test_the_reported_seller_is_not_its_own_competitor(now, catalogue, reviewers):
    only(RiskRuleCode.COMPETING_SELLER)
    Seller.objects.filter(external_id="S-1").update(email="shop@aerostride.example")
    assert reasons(routed(now)) == []


def test_a_burst_against_one_seller_fires_at_the_threshold(now, catalogue, reviewers):
    only(RiskRuleCode.SELLER_BURST, threshold=3)
    routed(now - 23 * timedelta(hours=1), [("L-100002", "counterfeit")], submitter_email="a@one.example")
    routed(now - timedelta(hours=1), [("L-100005", "counterfeit")], submitter_email="b@two.example")
    notice = routed(now, [("L-100001", "counterfeit")])
    assert reasons(notice) == [("seller_burst", 30, "3 notices against seller S-1 within 1 day, this one included")]


def test_notices_before_the_window_are_no_burst(now, catalogue, reviewers):
    only(RiskRuleCode.SELLER_BURST, threshold=3)
    routed(now - DAY, [("L-100002", "counterfeit")], submitter_email="a@one.example")  # the window's edge: out
    routed(now - timedelta(hours=1), [("L-100005", "counterfeit")], submitter_email="b@two.example")
    routed(now - timedelta(hours=1), [("L-100003", "counterfeit")], submitter_email="c@three.example")  # S-2
    assert reasons(routed(now, [("L-100001", "counterfeit")])) == []


def test_a_first_notice_naming_many_listings_of_one_seller_fires(now, catalogue, reviewers):
    only(RiskRuleCode.FIRST_NOTICE_MANY_LISTINGS, threshold=3)
    notice = routed(now, ACME_LISTINGS + [("L-100003", "counterfeit"), ("L-999999", "counterfeit")])
    assert reasons(notice) == [("first_notice_many_listings", 25,
                                "first notice from this address, naming 3 listings of seller S-1")]


def test_fewer_listings_or_a_notifier_with_a_record_does_not_fire(now, catalogue, reviewers):
    only(RiskRuleCode.FIRST_NOTICE_MANY_LISTINGS, threshold=3)
    assert reasons(routed(now, ACME_LISTINGS[:2] + [("L-100001", "trademark_misuse")])) == []  # 2 distinct
    assert Submitter.objects.get().notices == 1
    assert reasons(routed(now, ACME_LISTINGS)) == []  # the same address's second notice


def test_a_registration_not_in_the_verified_register_fires(now, catalogue, reviewers):
    only(RiskRuleCode.REGISTRATION_UNKNOWN)
    notice = routed(now, right_registration_number="018999999")
    assert reasons(notice) == [("registration_unknown", 10,
                                "registration 018999999 (EUIPO) is not in the verified register")]
    register_aerostride()
    assert reasons(routed(now, [("L-100002", "counterfeit")])) == []


def test_a_registration_named_for_other_owners_fires_at_the_threshold(now, catalogue, reviewers):
    only(RiskRuleCode.REGISTRATION_REUSED)
    confirmed(now - 180 * DAY, right_owner="Stride Sports Ltd", submitter_email="x@stride.example")
    confirmed(now - DAY, right_owner="Sole Traders", right_registration_number="018234567",
              submitter_email="y@sole.example")
    confirmed(now - DAY, right_owner="AEROSTRIDE GMBH", submitter_email="z@aero.example")  # the same owner
    notice = routed(now)
    assert reasons(notice) == [("registration_reused", 40,
                                "registration 018234567 (EUIPO) was named for 2 other owners in 180 days")]


def test_one_other_owner_or_one_outside_the_window_is_no_reuse(now, catalogue, reviewers):
    only(RiskRuleCode.REGISTRATION_REUSED)
    confirmed(now - 180 * DAY - timedelta(seconds=1), right_owner="Stride Sports Ltd", submitter_email="x@s.example")
    confirmed(now - DAY, right_owner="Sole Traders", submitter_email="y@sole.example")
    confirmed(now - DAY, right_owner="Other Mark", right_type="design", submitter_email="w@d.example")
    assert reasons(routed(now)) == []


def test_a_disabled_rule_does_not_fire(now, catalogue, reviewers):
    only(RiskRuleCode.REGISTRATION_UNKNOWN, enabled=False)
    notice = routed(now)
    assert reasons(notice) == []
    assert (notice.risk_score, notice.risk_band) == (0, RiskBand.LOW)


# --- The score and the band. ---

def test_the_score_sums_the_rules_that_fired_and_the_band_follows(now, catalogue, reviewers):
    notice = routed(now, submitter_email="aerostride.legal@gmail.com")  # every rule at its default
    assert [code for code, _, _ in reasons(notice)] == ["free_mail_company", "registration_unknown"]
    assert (notice.risk_score, notice.risk_band) == (25 + 10, RiskBand.MEDIUM)
    event = notice.events.get(kind=EventKind.ROUTED)
    assert event.details["risk"] == {"score": 35, "band": "medium"}


@pytest.mark.parametrize(("score", "band"), [(0, "low"), (29, "low"), (30, "medium"), (59, "medium"),
                                             (60, "high"), (200, "high")])
def test_bands_start_at_the_settings_thresholds(settings, score, band):
    settings.RISK_MEDIUM_SCORE, settings.RISK_HIGH_SCORE = 30, 60
    assert risk.band_for(score) == band


def test_the_thresholds_are_settings(settings):
    settings.RISK_MEDIUM_SCORE, settings.RISK_HIGH_SCORE = 10, 20
    assert [risk.band_for(score) for score in (9, 10, 20)] == ["low", "medium", "high"]


def test_a_high_band_not_above_the_medium_one_stops_the_start():
    result = run_manage({**PRODUCTION, "RISK_MEDIUM_SCORE": "50", "RISK_HIGH_SCORE": "50"}, "check")
    assert (result.returncode, result.stderr.strip()) == (
        1, "Configuration error: RISK_HIGH_SCORE=50 must be more than RISK_MEDIUM_SCORE=50.")
    assert run_manage({**PRODUCTION, "RISK_MEDIUM_SCORE": "20", "RISK_HIGH_SCORE": "40",
                       "FREE_MAIL_DOMAINS": "GMAIL.com, example.org"}, "check").returncode == 0


# --- High risk: a designated reviewer, no fast path, or the leads. ---

@pytest.fixture
def high_risk_setup(catalogue):
    """A shoe seller on the notifier's own domain: any notice about L-100001 scores 60 + 15 + 10."""
    return rival(email="sales@aerostride.example", category="shoes")


def test_a_high_risk_notice_goes_to_a_designated_reviewer_not_the_least_loaded(now, high_risk_setup, reviewers):
    senior = make_reviewer("senior", ["trademark"])
    senior.risk_reviewer, senior.open_load = True, 5
    senior.save()
    notice = routed(now)
    assert (notice.risk_score, notice.risk_band) == (60 + 15 + 10, RiskBand.HIGH)
    assert notice.assigned_to == senior
    assert notice.events.get(kind=EventKind.ROUTED).details["assignment_rule"] == (
        "high risk: designated reviewer with the skill for this right (Trademark), lowest open load (5)")


def test_a_high_risk_notice_gets_no_good_faith_priority(now, high_risk_setup, reviewers):
    reviewers["tm"].risk_reviewer = True
    reviewers["tm"].save()
    Submitter.objects.create(email="anna@aerostride.example", trusted_flagger=True, created_at=now)
    notice = routed(now)
    assert notice.trust == "trusted_flagger" and notice.risk_band == RiskBand.HIGH
    assert notice.priority == 30  # counterfeit only; no +40 for a trusted flagger
    assert notice.events.get(kind=EventKind.ROUTED).details["priority_rules"] == [
        "Trusted flagger (DSA Art. 22): no points, high risk (+0)", "counterfeit reported (+30)"]
    RiskRule.objects.filter(code=RiskRuleCode.COMPETING_SELLER).update(enabled=False)
    low = routed(now, [("L-100002", "counterfeit")])
    assert (low.risk_band, low.priority) == (RiskBand.LOW, 40 + 30)  # the fast path, for a notice not high risk


def test_without_a_designated_reviewer_a_high_risk_notice_waits_for_the_leads(now, high_risk_setup, reviewers,
                                                                                 django_capture_on_commit_callbacks):
    lead = make_lead("boss")
    notice = confirmed(now)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.route_notice(notice.pk, now)
    notice.refresh_from_db()
    assert (notice.status, notice.assigned_to, notice.risk_band) == (NoticeStatus.IN_REVIEW, None, RiskBand.HIGH)
    details = notice.events.get(kind=EventKind.ROUTED).details
    assert (details["reviewer"], details["assignment_rule"]) == (None, "no reviewer designated for high-risk notices")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["anna@aerostride.example"], f"Notice {notice.reference} is with a reviewer"),
        ([lead.user.email], f"High risk: notice {notice.reference} waits for a designated reviewer")]
    body = mail.outbox[1].body
    assert "scored 85 in risk screening, which is high risk:" in body
    assert "  - seller S-9, which also sells shoes, shares the notifier's e-mail domain (+60)" in body
    assert f"https://portal.test/review/notices/{notice.reference}/" in body


def test_only_a_designated_reviewer_claims_a_high_risk_notice(now, high_risk_setup, reviewers):
    make_lead("boss")
    notice = routed(now)
    with pytest.raises(TransitionNotAllowed, match="is high risk: only a reviewer a lead designated"):
        workflow.claim_notice(notice, reviewers["tm"], now)
    assert Notice.objects.get(pk=notice.pk).assigned_to is None
    reviewers["cr"].risk_reviewer = True
    reviewers["cr"].save()
    assert workflow.claim_notice(notice, reviewers["cr"], now).assigned_to == reviewers["cr"]


def test_a_lead_reassigns_a_high_risk_notice_only_to_a_designated_reviewer(now, high_risk_setup, reviewers):
    lead = make_lead("boss")
    notice = routed(now)
    with pytest.raises(TransitionNotAllowed, match="may work it. tm is not designated."):
        workflow.reassign_notice(notice, reviewers["tm"], lead.user, now)
    reviewers["cr"].risk_reviewer = True
    reviewers["cr"].save()
    assert workflow.reassign_notice(notice, reviewers["cr"], lead.user, now).assigned_to == reviewers["cr"]
    assert notice.events.filter(kind=EventKind.REASSIGNED).count() == 1
