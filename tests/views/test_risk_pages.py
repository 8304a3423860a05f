"""Risk screening where people read it: the reviewer's notice page (score, each reason, the
high-risk banner), the queue's risk filter and counts, the dashboard's notices by band and share of
high-risk notices rejected, and the leads' admin where the rules are tuned."""

import html as html_lib
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from takedowns.enums import RiskRuleCode
from takedowns.forms.review import QueueFilterForm
from takedowns.models import Listing, Notice, RiskRule, Seller
from takedowns.selectors import queue as queue_selectors
from tests.factories import REJECT, REMOVE, decide, log_in, make_lead, routed

pytestmark = pytest.mark.django_db


@pytest.fixture
def rival(catalogue):
    """A seller of shoes and bags on rival-shoes.example: a notice from that domain about Acme's
    shoes (L-100001) or bags (L-100002) is high risk (competing seller 60, new domain 15, unknown
    registration 10)."""
    seller = Seller.objects.create(external_id="S-9", name="Rival Shoes", country="DE",
                                   email="sales@rival-shoes.example")
    for number, category in enumerate(["shoes", "bags"], start=1):
        Listing.objects.create(external_id=f"L-20000{number}", seller=seller, title=category, category=category,
                               price=Decimal("9.99"))
    return seller


@pytest.fixture
def designated(reviewers):
    reviewers["tm"].risk_reviewer = True
    reviewers["tm"].save()
    return reviewers["tm"]


def high_risk(now, listing="L-100001", **fields):
    return routed(now, [(listing, "counterfeit")], submitter_email="legal@rival-shoes.example",
                  submitter_organisation="Rival Shoes GmbH", **fields)


def risk_box(html: str) -> list[str]:
    box = re.search(r'<div class="mt-3" id="risk">(.*?)\n</div>', html, re.S).group(1)
    lines = re.findall(r"<(?:div|span|li|p)[^>]*>(.*?)</", box, re.S)
    return [html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", line).split())) for line in lines]


def test_the_notice_page_shows_the_score_each_reason_and_the_high_risk_banner(client, now, rival, designated):
    notice = high_risk(now)
    log_in(client, designated)
    html = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert risk_box(html) == [
        "High risk of abuse of the notice system.",
        "Risk score 85 · high",
        "seller S-9, which also sells shoes, shares the notifier's e-mail domain (+60)",
        "first notice from this e-mail domain in 30 days, from a notifier naming an organisation (+15)",
        "registration 018234567 (EUIPO) is not in the verified register (+10)",
    ]
    assert ("Only a reviewer a lead designated for high-risk notices works it, and it gets no good-faith priority: "
            "check who is behind the notice before deciding.") in html


def test_only_a_designated_reviewer_is_offered_to_claim_an_unassigned_high_risk_notice(client, now, rival, reviewers):
    make_lead("boss")
    notice = high_risk(now)
    assert notice.assigned_to is None  # nobody designated: it waits for the leads
    log_in(client, reviewers["tm"])
    html = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert 'id="claim"' not in html
    assert "Only a reviewer designated for high-risk notices may claim it." in html
    response = client.post(f"/review/notices/{notice.reference}/claim/", follow=True)
    assert "is high risk: only a reviewer a lead designated for high-risk notices may work it." in (
        response.content.decode().replace("&#x27;", "'"))
    assert Notice.objects.get(pk=notice.pk).assigned_to is None
    reviewers["tm"].risk_reviewer = True
    reviewers["tm"].save()
    assert 'id="claim"' in client.get(f"/review/notices/{notice.reference}/").content.decode()


def test_a_low_risk_notice_has_no_banner(client, now, catalogue, reviewers):
    RiskRule.objects.update(enabled=False)
    notice = routed(now)
    log_in(client, reviewers["tm"])
    html = client.get(f"/review/notices/{notice.reference}/").content.decode()
    assert 'id="risk-banner"' not in html
    assert risk_box(html) == ["Risk score 0 · low", "No screening rule fired."]


def test_the_queue_filters_and_counts_by_risk_band(client, now, rival, designated):
    high = high_risk(now)
    low = routed(now, [("L-100003", "counterfeit")])
    assert low.risk_band == "low"
    log_in(client, designated)

    def listed(**params):
        response = client.get("/review/", params)
        return [n.reference for n in response.context["page"].rows], response.content.decode()

    refs, html = listed(risk="high")
    assert refs == [high.reference]
    assert '<option value="high" selected>High risk (1)</option>' in html
    assert '<option value="medium">Medium risk (0)</option>' in html
    assert 'data-risk="high">high risk</span>' in html
    assert sorted(listed()[0]) == sorted([high.reference, low.reference])
    assert QueueFilterForm({"risk": "low"}).filters().risk == ""  # only the bands worth a filter
    assert "risk=high" in queue_selectors.QueueFilters(risk="high").query()


def test_the_dashboard_counts_notices_by_band_and_the_share_of_high_risk_ones_rejected(client, now, rival, designated):
    rejected = high_risk(now)
    removed = high_risk(now, "L-100002")
    high_risk(now, "L-100005")  # Acme's shoes, removed already: never decided, in its band but not in the share
    routed(now, [("L-100003", "counterfeit")], submitter_email="anna.b@gmail.com")  # free mail 25 + unknown 10
    routed(now, [("L-100004", "counterfeit")])  # new domain 15 + unknown 10
    decide(rejected, now, {"L-100001": REJECT})
    decide(removed, now, {"L-100002": REMOVE})
    assert list(Notice.objects.order_by("pk").values_list("risk_band", flat=True)) == [
        "high", "high", "high", "medium", "low"]
    log_in(client, make_lead("boss"))
    today = timezone.localdate().isoformat()
    html = client.get("/review/dashboard/", {"from": today, "to": today}).content.decode()
    table = re.search(r'<table[^>]*id="risk-bands".*?</table>', html, re.S).group(0)
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]
    assert rows == ["Risk band Notices", "Low 1", "Medium 1", "High 3"]
    assert "<strong>50.0 %</strong> of high-risk notices rejected (1 of 2 decided)." in html
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    html = client.get("/review/dashboard/", {"from": yesterday, "to": yesterday}).content.decode()
    assert "<strong>–</strong> of high-risk notices rejected (0 of 0 decided)." in html


def test_a_lead_tunes_a_rule_in_the_admin_and_its_parameters_are_required(client, now, catalogue):
    log_in(client, make_lead("boss"))
    rule = RiskRule.objects.get(code=RiskRuleCode.SELLER_BURST)
    url = f"/admin/takedowns/riskrule/{rule.pk}/change/"
    form = {"code": "seller_burst", "enabled": "on", "points": "45", "threshold": "", "window": "0"}
    response = client.post(url, form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "threshold": ["This rule needs a threshold."], "window": ["The window must be longer than zero."]}
    response = client.post(url, {**form, "threshold": "8", "window": "12:00:00"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.enabled, rule.points, rule.threshold, rule.window) == (True, 45, 8, timedelta(hours=12))


def test_a_lead_designates_a_reviewer_for_high_risk_notices_in_the_admin(client, reviewers):
    log_in(client, make_lead("boss"))
    response = client.get("/admin/takedowns/reviewer/", {"risk_reviewer__exact": "1"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    reviewers["cr"].risk_reviewer = True
    reviewers["cr"].save()
    response = client.get("/admin/takedowns/reviewer/", {"risk_reviewer__exact": "1"})
    assert list(response.context["cl"].result_list) == [reviewers["cr"]]
