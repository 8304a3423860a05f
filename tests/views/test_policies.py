"""The published policies (/policies/): public pages whose every number is the value the code runs
with (PENALTY_LADDER, STRIKE_EXPIRY_DAYS, the SlaPolicy rows, APPEAL_WINDOW_MONTHS, the counter-notice
window, the routing and trust rules, the reason codes), so a changed setting or row changes the page;
and the links to them from the form, the tracking page, the statements of reasons and the footer."""

import html
import re
from datetime import time, timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from takedowns import legal, policies, routing, sla, trust
from takedowns.enums import ClockKind, SubmitterTrust
from takedowns.models import OutboundEmail, Penalty, ReasonCode, SlaPolicy
from takedowns.workflow import clocks
from tests.factories import REMOVE, apply_penalties, decided, decision_of, routed

pytestmark = pytest.mark.django_db

INDEX, REPEAT, HANDLING, CONTESTING = ("/policies/", "/policies/repeat-infringers/", "/policies/notice-handling/",
                                       "/policies/contesting-decisions/")


def text_of(client, url: str) -> str:
    """The page's main content as one line of text, tags and repeated spaces gone."""
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    main = page[page.index("<main"):page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split()).replace(" ;", ";").replace(" .", ".")


def section(client, url: str, element_id: str) -> str:
    """The HTML of the element with this id, up to the next heading."""
    page = client.get(url).content.decode()
    start = page.index(f'id="{element_id}"')
    end = page.find("<h2", start)
    return page[start:end if end != -1 else None]


# --- The index. ---

def test_the_index_links_every_policy_page(client):
    page = client.get(INDEX).content.decode()
    listed = section(client, INDEX, "policy-pages")
    for url in (REPEAT, HANDLING, CONTESTING, "/policies/notifier-misuse/"):
        assert f'href="{url}"' in listed
    assert "Every number on these pages" in page


def test_the_notifier_misuse_policy_leads_back_to_the_index(client):
    page = client.get("/policies/notifier-misuse/").content.decode()
    assert '<li class="breadcrumb-item"><a href="/policies/">Our policies</a></li>' in page
    assert '<li class="breadcrumb-item active" aria-current="page">Manifestly unfounded notices</li>' in page


@pytest.mark.parametrize("url", [INDEX, REPEAT, HANDLING, CONTESTING])
def test_only_get_is_answered(client, url):
    assert client.post(url).status_code == 405


# --- The repeat-infringer policy: the ladder enforcement applies. ---

def test_the_repeat_infringer_page_states_the_configured_ladder_and_strike_expiry(client):
    text = text_of(client, REPEAT)
    assert ("1 live strike: Warning A written warning. Nothing changes on your account yet. How long: No end date"
            in text)
    assert ("2 live strikes: Restriction on new listings You cannot create new listings. Your existing listings stay "
            "online. How long: 7 days." in text)
    assert "3 live strikes: Temporary suspension Your account and all your listings are suspended. How long: 30 days." \
        in text
    assert "4 or more live strikes: Termination of the account Your account is closed. How long: Permanent" in text
    assert "A strike counts for 365 days and then expires." in text
    assert "no seller is suspended without having been warned first (DSA Art. 23(1))" in text
    assert "With fewer than" not in text
    for law in ("512(i)(1)(A)", "Art. 23(1), (3) and (4)", "DSA Art. 17", "DSA Art. 20", "DMCA 512(g)"):
        assert law in text
    assert "we put the listing back after 10 business days" in text
    assert "filed free of charge within 6 months of the decision" in text
    assert "Seller penalty — from a strike to the account measure it calls for being applied. Every case: 3 days;" \
        in text


@override_settings(PENALTY_LADDER="2:warning, 4:suspension:14, 7:termination", STRIKE_EXPIRY_DAYS=180,
                   APPEAL_WINDOW_MONTHS=9, COUNTER_NOTICE_RESTORE_BUSINESS_DAYS=12)
def test_the_repeat_infringer_page_follows_the_ladder_setting(client):
    text = text_of(client, REPEAT)
    assert "With fewer than 2 live strikes nothing happens to your account" in text
    assert "2 or 3 live strikes: Warning" in text
    assert "4 to 6 live strikes: Temporary suspension Your account and all your listings are suspended. " \
           "How long: 14 days." in text
    assert "7 or more live strikes: Termination of the account" in text
    assert "Restriction" not in text and "30 days" not in text
    assert "A strike counts for 180 days" in text and "It expires 180 days after it was recorded" in text
    assert "within 9 months of the decision" in text and "back after 12 business days" in text
    steps = re.findall(r'data-strikes="(\d+)" data-level="(\w+)"', client.get(REPEAT).content.decode())
    assert steps == [("2", "warning"), ("4", "suspension"), ("7", "termination")]


@override_settings(PENALTY_LADDER="1:restriction:3, 2:termination")
def test_a_ladder_without_a_warning_does_not_claim_one(client):
    text = text_of(client, REPEAT)
    assert "1 live strike: Restriction on new listings" in text and "How long: 3 days." in text
    assert "2 or more live strikes: Termination of the account" in text
    assert "warned first" not in text


def test_the_seller_penalty_target_is_the_policy_row(client):
    SlaPolicy.objects.filter(clock=ClockKind.SELLER_PENALTY).update(
        target=timedelta(hours=16), business_hours=True, country="DE", subdivision="BY", timezone="Europe/Berlin",
        day_start=time(8, 0), day_end=time(18, 30))
    text = text_of(client, REPEAT)
    assert ("Every case: 16 hours of working time; the clock runs working hours only: 08:00 to 18:30 (Europe/Berlin "
            "time), Monday to Friday; public holidays in Germany (BY) do not count.") in text


# --- How notices are handled. ---

def test_the_notice_handling_page_states_what_a_notice_needs_and_the_configured_limits(client):
    text = text_of(client, HANDLING)
    for law in ("Art. 16(2)(a)", "Art. 16(2)(b)", "Art. 16(2)(c)", "Art. 16(2)(d)", "512(c)(3)(A)(i)",
                "512(c)(3)(A)(iii)", "512(c)(3)(A)(v) and (vi)", "Art. 16(4)", "Art. 16(5)", "Art. 17", "Art. 22",
                "Art. 24(5)", "Art. 15 and 24"):
        assert law in text
    assert "up to 200 listings in one notice" in text
    assert "up to 10 PDF, PNG or JPEG files, each at most 10.0 MB, 25.0 MB in all" in text
    assert "a notice not confirmed within 7 days expires" in text
    assert "without an answer within 7 days, the listings concerned close" in text
    page = client.get(HANDLING).content.decode()
    assert ('id="good-faith-text">I have a good-faith belief that the use of the material in the manner complained '
            'of is not authorised by the rights owner, its agent, or the law.</blockquote>') in page
    assert ('id="accuracy-text">I believe in good faith that the information and allegations in this notice are '
            "accurate and complete, and I state under penalty of perjury that I am the owner") in page
    assert ("For a copyright notice, which is also a US DMCA notice, your postal address and telephone number too "
            "(DMCA 512(c)(3)(A)(iv)); for other rights they are optional.") in text


@override_settings(NOTICE_MAX_ITEMS=80, EVIDENCE_MAX_FILES=3, EVIDENCE_MAX_FILE_BYTES=2 * 1024 * 1024,
                   EVIDENCE_MAX_TOTAL_BYTES=5 * 1024 * 1024, NOTICE_CONFIRMATION_DAYS=1, INFO_REQUEST_DAYS=4)
def test_the_notice_handling_page_follows_the_limit_settings(client):
    text = text_of(client, HANDLING)
    assert "up to 80 listings in one notice" in text
    assert "up to 3 PDF, PNG or JPEG files, each at most 2.0 MB, 5.0 MB in all" in text
    assert "a notice not confirmed within 1 day expires" in text
    assert "without an answer within 4 days" in text


def test_the_priority_points_and_the_good_faith_programme_are_routings_and_trusts(client, monkeypatch):
    text = text_of(client, HANDLING)
    assert "Trusted flagger (DSA Art. 22) +40 Good-faith programme member +20 Counterfeit goods reported +30" in text
    assert "(baby, car-parts, cosmetics, electrical, medicine, toys) +30" in text
    assert "per strike +5, at most +25" in text
    assert ("over the last 90 days, at least 10 of your reported listings were decided, at least 90% of them were "
            "removed, and at most 5% of those removals were undone after a counter-notice") in text
    monkeypatch.setitem(routing.TRUST_POINTS, SubmitterTrust.TRUSTED_FLAGGER, 55)
    monkeypatch.setattr(trust, "GOOD_FAITH_MIN_DECIDED", 25)
    monkeypatch.setattr(trust, "GOOD_FAITH_MIN_ACCEPTED", 0.85)
    text = text_of(client, HANDLING)
    assert "Trusted flagger (DSA Art. 22) +55" in text and "Their notices get +55 points" in text
    assert "at least 25 of your reported listings were decided, at least 85% of them" in text


def test_the_targets_are_the_active_policies_with_the_defaults_of_the_clocks(client):
    text = text_of(client, HANDLING)
    assert ("Acknowledgement — from your confirming the notice to its being with a reviewer. Notices from trusted "
            "flaggers (DSA Art. 22): 5 minutes; the clock runs round the clock, every day. All other cases: "
            "15 minutes; the clock runs round the clock, every day.") in text
    assert ("Notices from trusted flaggers (DSA Art. 22): 12 hours; the clock runs round the clock, every day. All "
            "other cases: 24 hours;") in text
    assert "Takedown executed" in text
    assert "At present every priority has the same targets" in text


def test_a_more_specific_policy_is_listed_first_and_changes_the_page(client):
    SlaPolicy.objects.create(clock=ClockKind.TAKEDOWN_DECISION, right_type="trademark", reason="counterfeit",
                             min_priority=40, target=timedelta(hours=2))
    SlaPolicy.objects.filter(clock=ClockKind.TAKEDOWN_DECISION, right_type="").update(target=timedelta(hours=12))
    SlaPolicy.objects.filter(clock=ClockKind.ACKNOWLEDGEMENT).update(target=timedelta(minutes=5))
    text = text_of(client, HANDLING)
    assert ("Trademark notices, reporting counterfeit goods, with priority 40 or more (every notice of a trusted "
            "flagger reaches it): 2 hours; the clock runs round the clock, every day. All other cases: 12 hours;"
            ) in text
    assert "Acknowledgement" in text and "All other cases: 5 minutes;" in text
    assert "Some priority bands have shorter (or longer) deadlines of their own" in text


def test_without_a_catch_all_policy_the_clocks_default_target_is_stated(client):
    SlaPolicy.objects.filter(clock=ClockKind.APPEAL_DECISION).update(is_active=False)
    SlaPolicy.objects.create(clock=ClockKind.APPEAL_DECISION, right_type="patent", target=timedelta(days=21))
    text = text_of(client, CONTESTING)
    default = clocks.DEFAULT_TARGETS[ClockKind.APPEAL_DECISION]
    assert default == timedelta(days=7)
    assert ("Appeal decision — from the appeal's being filed to its decision. Patent notices: 21 days; the clock runs "
            "round the clock, every day. All other cases: 7 days;") in text


def test_the_page_lists_the_policies_in_the_order_the_clocks_choose_them(client, now, catalogue, reviewers):
    SlaPolicy.objects.create(clock=ClockKind.TAKEDOWN_DECISION, reason="counterfeit", target=timedelta(hours=6))
    SlaPolicy.objects.create(clock=ClockKind.TAKEDOWN_DECISION, min_priority=1, target=timedelta(hours=8))
    notice = routed(now)  # a trademark notice reporting a counterfeit, priority above 1
    clock = notice.clocks.get(kind=ClockKind.TAKEDOWN_DECISION)
    text = text_of(client, HANDLING)
    listed = section(client, HANDLING, f"targets-{ClockKind.TAKEDOWN_DECISION}")
    assert clock.policy.target == timedelta(hours=6)
    assert "Notices reporting counterfeit goods: 6 hours" in text
    assert listed.index("6 hours") < listed.index("8 hours") < listed.index("24 hours")



def test_the_trusted_flaggers_target_says_a_shorter_specific_target_below_may_apply(
        client, django_capture_on_commit_callbacks):
    # Issue 12, item 13: clocks.policy_for gives a trusted flagger's notice the earlier of the two due times.
    SlaPolicy.objects.create(clock=ClockKind.TAKEDOWN_DECISION, reason="counterfeit", target=timedelta(hours=4))
    text = text_of(client, HANDLING)
    assert ("Notices from trusted flaggers (DSA Art. 22), unless a target below that fits the notice falls due "
            "sooner: 12 hours; the clock runs round the clock, every day. Notices reporting counterfeit goods: "
            "4 hours;") in text
    # Acknowledgement: 5 minutes against 15 for everybody else, on the same calendar: nothing sooner.
    assert text.count("unless a target below") == 1
    everyone = SlaPolicy.objects.get(clock=ClockKind.ACKNOWLEDGEMENT, trusted_flagger_only=False)
    everyone.target = timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):  # as the admin saves it
        everyone.save()
    assert ("Notices from trusted flaggers (DSA Art. 22), unless a target below that fits the notice falls due "
            "sooner: 5 minutes;") in text_of(client, HANDLING)

# --- How decisions can be contested. ---

def test_the_contesting_page_names_a_us_state_s_holidays(client, settings):
    settings.COUNTER_NOTICE_HOLIDAY_COUNTRY = "US-NY"
    assert ("Business days are Monday to Friday, without the public holidays of United States of America (NY), as "
            "dates in America/New_York time; the day of receipt does not count.") in text_of(client, CONTESTING)


def test_the_contesting_page_states_the_appeal_window_the_counter_notice_and_out_of_court_settlement(client):
    text = text_of(client, CONTESTING)
    for law in ("Art. 20", "Art. 20(4) and (6)", "512(g)(3)", "512(g)(2)(B)", "512(g)(2)(C)", "Art. 21",
                "Art. 21(5)"):
        assert law in text
    assert ("It is open for 6 months after the decision (the law asks for at least six months): until the end of "
            "the same date that many months later, or of the month's last day when that month is shorter (a decision "
            "of 31 August: until the end of 28 or 29 February), dates in UTC time.") in text
    assert "Appeal decision — from the appeal's being filed to its decision. Every case: 7 days;" in text
    assert ("We put the listing back after 10 business days counted from the day we received the counter-notice, "
            "not from our check: at the end of that business day, and at the latest on the 14th business day (the law "
            "allows 10 to 14 business days following receipt, 512(g)(2)(C)).") in text
    assert ("Business days are Monday to Friday, without the public holidays of United States of America, as dates "
            "in America/New_York time; the day of receipt does not count.") in text
    for element in ("The removed listing and where it appeared", "Why the removal was a mistake", "Full name",
                    "Address", "Telephone number", "E-mail address", "Signature"):
        assert f"<li>{element}</li>" in section(client, CONTESTING, "counter-notice-elements")
    page = client.get(CONTESTING).content.decode()
    assert 'id="statement-mistake">I swear, under penalty of perjury, that I have a good-faith belief' in page
    assert 'id="statement-jurisdiction">I consent to the jurisdiction of the Federal District Court' in page


@override_settings(APPEAL_WINDOW_MONTHS=12, COUNTER_NOTICE_RESTORE_BUSINESS_DAYS=13,
                   COUNTER_NOTICE_HOLIDAY_COUNTRY="DE", COUNTER_NOTICE_TIME_ZONE="America/Chicago", INFO_REQUEST_DAYS=3)
def test_the_contesting_page_follows_the_window_settings(client):
    text = text_of(client, CONTESTING)
    assert "It is open for 12 months after the decision" in text
    assert "appeal on your tracking page within 12 months" in text
    assert "We put the listing back after 13 business days counted from the day we received the counter-notice" in text
    assert "without the public holidays of Germany, as dates in America/Chicago time;" in text
    assert "answer a reviewer's question within 3 days" in text


@override_settings(COUNTER_NOTICE_WINDOW_SECONDS=120)
def test_the_demos_short_restore_window_is_stated_as_such(client):
    text = text_of(client, CONTESTING)
    assert "We put the listing back after 120 seconds (demo setting)." in text
    assert "14th business day" not in text
    assert "we put the listing back after 120 seconds (demo setting)" in text_of(client, REPEAT)


def test_the_reason_codes_listed_are_the_active_ones(client):
    before = section(client, CONTESTING, "reason-codes")
    assert "Not enough evidence" in before and "Genuine goods resold lawfully" in before
    ReasonCode.objects.filter(code="genuine-goods").update(is_active=False)
    ReasonCode.objects.create(code="expired-right", title="The right has expired",
                              submitter_text="The registration you named lapsed; name one in force.")
    after = section(client, CONTESTING, "reason-codes")
    assert "Genuine goods resold lawfully" not in after
    assert "The right has expired</dt><dd class=\"col-md-8\">The registration you named lapsed; name one in force." \
        in after


# --- The links to the pages. ---

@pytest.mark.parametrize("url", ["/", "/notices/new/", "/transparency/", "/listings/", "/privacy/", INDEX, REPEAT])
def test_every_page_links_to_the_policies_in_the_footer(client, catalogue, url):
    page = client.get(url).content.decode()
    footer = page[page.index("<footer"):page.index("</footer>")]
    assert '<a href="/policies/" id="footer-policies">Our policies</a>' in footer


def test_the_notice_form_links_the_handling_and_contesting_pages(client):
    note = section(client, "/notices/new/", "policy-note")
    assert '<a href="/policies/notice-handling/">how we handle notices</a>' in note
    assert '<a href="/policies/contesting-decisions/">how to contest it</a>' in note


def test_the_tracking_page_links_the_handling_and_contesting_pages(client, now, catalogue, reviewers):
    notice = routed(now)
    links = section(client, notice.tracking_path(), "policy-links")
    assert '<a href="/policies/notice-handling/">how we handle notices</a>' in links
    assert '<a href="/policies/contesting-decisions/">how to contest it</a>' in links


@pytest.fixture
def removal(now, bright, reviewers):
    """Bright Store's L-100003 removed (so a statement, a strike and its warning), the warning applied."""
    decision = decision_of(decided(now, {"L-100003": REMOVE}, reviewers["tm"]))
    apply_penalties(now)
    return decision


def test_the_sellers_statement_page_links_the_contesting_and_repeat_infringer_pages(client, removal):
    links = section(client, removal.seller_path(), "policy-links")
    assert '<a href="/policies/contesting-decisions/">how to contest a decision</a>' in links
    assert '<a href="/policies/repeat-infringers/">our repeat-infringer policy</a>' in links


def test_the_sellers_penalty_page_links_the_ladder_and_the_contesting_page(client, removal):
    page = client.get(Penalty.objects.get().seller_path()).content.decode()
    assert 'our published <a href="/policies/repeat-infringers/">repeat-infringer ladder</a>' in page
    links = section(client, Penalty.objects.get().seller_path(), "policy-links")
    assert '<a href="/policies/contesting-decisions/">how to contest a decision</a>' in links


def test_the_statement_emails_link_the_pages_with_absolute_addresses(removal):
    statement = OutboundEmail.objects.get(kind="statement_of_reasons")
    assert statement.to == "bright@sellers.example"
    assert "   How each of these works: https://portal.test/policies/contesting-decisions/\n" in statement.body_text
    assert ("   How removals count as strikes against your account: https://portal.test/policies/repeat-infringers/\n"
            in statement.body_text)
    assert '<a href="https://portal.test/policies/contesting-decisions/">how to contest a decision</a>' \
        in statement.body_html
    assert '<a href="https://portal.test/policies/repeat-infringers/">our repeat-infringer policy</a>' \
        in statement.body_html
    measure = OutboundEmail.objects.get(kind="penalty_statement")
    assert measure.to == "bright@sellers.example"
    assert "   How each of these works: https://portal.test/policies/contesting-decisions/\n" in measure.body_text
    assert ("   Every step of the ladder (our repeat-infringer policy): https://portal.test/policies/repeat-infringers/\n"
            in measure.body_text)
    assert 'our published <a href="https://portal.test/policies/repeat-infringers/">repeat-infringer ladder</a>' \
        in measure.body_html
    assert '<a href="https://portal.test/policies/contesting-decisions/">how to contest a decision</a>' \
        in measure.body_html


def test_policies_a_clock_can_never_start_under_are_not_listed(client, now, catalogue, reviewers):
    """The acknowledgement clock starts before routing scores the priority, and a strike's clock
    without the reported reasons: a policy scoped so is never used, so the page does not promise it."""
    SlaPolicy.objects.create(clock=ClockKind.ACKNOWLEDGEMENT, min_priority=1, target=timedelta(minutes=2))
    SlaPolicy.objects.create(clock=ClockKind.SELLER_PENALTY, reason="counterfeit", target=timedelta(hours=1))
    SlaPolicy.objects.create(clock=ClockKind.SELLER_PENALTY, target=timedelta(hours=5))  # a second catch-all, unused
    notice = decided(now, {"L-100001": REMOVE}, reviewers["tm"])  # a counterfeit, priority above 1
    assert notice.priority > 1
    assert notice.clocks.get(kind=ClockKind.ACKNOWLEDGEMENT).target == timedelta(minutes=15)
    assert notice.clocks.get(kind=ClockKind.SELLER_PENALTY).target == timedelta(hours=72)
    assert "2 minutes" not in section(client, HANDLING, f"targets-{ClockKind.ACKNOWLEDGEMENT}")
    penalty = section(client, REPEAT, f"targets-{ClockKind.SELLER_PENALTY}")
    assert "1 hour" not in penalty and "5 hours" not in penalty and "Every case: <strong>3 days</strong>" in penalty


def test_the_statements_and_the_decision_email_state_the_configured_appeal_window(client, settings, now, bright,
                                                                                 reviewers):
    """What the policy page says of appeals, the messages of each decision say too: the window is
    APPEAL_WINDOW_MONTHS, not a fixed six months."""
    settings.APPEAL_WINDOW_MONTHS = 12
    decision = decision_of(decided(now, {"L-100003": REMOVE}, reviewers["tm"]))
    apply_penalties(now)
    said = "free of charge, within 12 months of the decision (DSA Art. 20)"
    statement = OutboundEmail.objects.get(kind="statement_of_reasons")
    measure = OutboundEmail.objects.get(kind="penalty_statement")
    for email in (statement, measure):
        assert said in email.body_text and said in email.body_html and "six months" not in email.body_text
    assert said in client.get(decision.seller_path()).content.decode()
    assert said in client.get(Penalty.objects.get().seller_path()).content.decode()
    submitter = OutboundEmail.objects.get(kind="items_decided")
    assert submitter.to == "anna@aerostride.example"
    assert "free of charge, within 12 months of this decision (internal complaint handling, DSA Art. 20)" \
        in submitter.body_text
    assert "within 12 months of this decision" in submitter.body_html


# --- Issue 13: what the pages compute follows the visitor's language. ---

def german_text(client, url: str) -> str:
    """The page's main content as text, asked for in German (the browser's Accept-Language)."""
    with translation.override("de"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200 and response.headers["Content-Language"] == "de"
    page = response.content.decode()
    main = page[page.index("<main"):page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split()).replace(" ;", ";").replace(" .", ".")


def test_weekdays_and_countries_of_a_working_hours_calendar_come_in_the_visitors_language(client):
    # Django ships the names of the weekdays and django-countries those of the countries in German; the
    # sentences around them are the portal's own messages (their msgids until the catalogues are compiled).
    SlaPolicy.objects.filter(clock=ClockKind.SELLER_PENALTY).update(
        target=timedelta(hours=16), business_hours=True, country="DE", subdivision="BY", timezone="Europe/Berlin",
        day_start=time(8, 0), day_end=time(18, 30))
    text = german_text(client, REPEAT)
    assert "working hours only: 08:00 to 18:30 (Europe/Berlin time), Montag to Freitag; public holidays in " \
           "Deutschland (BY) do not count" in text
    assert "Monday" not in text and "Friday" not in text and "Germany" not in text
    # The same page in English, right after: nothing computed in German is kept.
    assert "Monday to Friday; public holidays in Germany (BY) do not count" in text_of(client, REPEAT)


def test_a_calendar_of_separate_weekdays_lists_them_in_the_visitors_language():
    calendar = sla.Calendar(business_hours=True, timezone="Asia/Shanghai", day_start=time(9, 0),
                            day_end=time(17, 0), workdays=frozenset({0, 2, 4}))
    assert policies.calendar_text(calendar) == ("working hours only: 09:00 to 17:00 (Asia/Shanghai time), Monday, "
                                                "Wednesday, Friday")
    with translation.override("zh-hans"):
        assert policies.calendar_text(calendar).endswith("星期一, 星期三, 星期五")
    with translation.override("de"):
        assert policies.calendar_text(calendar).endswith("Montag, Mittwoch, Freitag")


def test_the_holiday_country_of_the_restore_window_is_named_in_the_visitors_language(client, settings):
    settings.COUNTER_NOTICE_HOLIDAY_COUNTRY = "US-NY"
    text = german_text(client, CONTESTING)
    assert "without the public holidays of Vereinigte Staaten von Amerika (NY)" in text
    assert "holidays of United States" not in text


def test_the_computed_texts_are_worked_out_for_each_page_in_its_language():
    """Nothing is computed once at import: each call gives plain text in the language active then, the
    portal's marked sentences (their msgids where no catalogue is compiled) and Django's own words."""
    with translation.override("de"):
        policy = policies.repeat_infringer_policy()
        handling = policies.notice_handling()
    rung = policy.rungs[-1]
    assert (rung.strikes, rung.effect, rung.duration) == ("4 or more", "Your account is closed.",
                                                          "Permanent, unless the decision is reversed")
    assert all(type(value) is str for value in (rung.label, rung.effect, policy.penalty_targets.measures))
    decision = handling.targets[ClockKind.TAKEDOWN_DECISION]
    assert [target.scope for target in decision.targets] == ["Notices from trusted flaggers (DSA Art. 22)",
                                                             "All other cases"]
    assert handling.priority_points[:3] == [("Trusted flagger (DSA Art. 22)", 40), ("Good-faith programme member", 20),
                                            ("Counterfeit goods reported", 30)]
    assert all(type(label) is str for label, _ in handling.priority_points)
    assert policies.duration_text(timedelta(hours=1, minutes=30)) == "1 hour 30 minutes"
    assert policies.duration_text(timedelta(0)) == "immediately"
    assert policies.duration_text(timedelta(days=1), working=True) == "24 hours of working time"


def test_a_scope_by_reason_reads_as_a_sentence_in_every_combination():
    copied = SlaPolicy(clock=ClockKind.TAKEDOWN_DECISION, reason="copyright_images", target=timedelta(hours=3))
    assert policies.scope_text(copied, others=False) == "Notices reporting copied images (copyright)"
    design = SlaPolicy(clock=ClockKind.TAKEDOWN_DECISION, right_type="design", min_priority=20,
                       target=timedelta(hours=3))
    assert policies.scope_text(design, others=False) == ("Design notices, with priority 20 or more (every notice of "
                                                         "a trusted flagger or of a good-faith programme member "
                                                         "reaches it)")
    high = SlaPolicy(clock=ClockKind.TAKEDOWN_DECISION, min_priority=60, target=timedelta(hours=3))
    assert policies.scope_text(high, others=False) == "Notices with priority 60 or more"
    flagged = SlaPolicy(clock=ClockKind.TAKEDOWN_DECISION, trusted_flagger_only=True, reason="patent",
                        target=timedelta(hours=3))
    assert policies.scope_text(flagged, others=True) == ("Notices from trusted flaggers (DSA Art. 22), reporting "
                                                         "patent infringement")


def test_the_sworn_statements_come_with_their_binding_english_on_a_translated_page(client):
    with translation.override("de"):
        handling = client.get(HANDLING, HTTP_ACCEPT_LANGUAGE="de").content.decode()
        contesting = client.get(CONTESTING, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for page, element_id, english in ((handling, "good-faith-original", legal.GOOD_FAITH_TEXT),
                                      (handling, "accuracy-original", legal.ACCURACY_TEXT),
                                      (contesting, "statement-mistake-original", legal.STATEMENT_MISTAKE),
                                      (contesting, "statement-jurisdiction-original", legal.STATEMENT_JURISDICTION)):
        block = page[page.index(f'id="{element_id}"'):]
        assert block.index(f'<span lang="en">{html.escape(english)}</span>') < block.index("</div>")
    english_page = client.get(HANDLING).content.decode() + client.get(CONTESTING).content.decode()
    assert "english-original" not in english_page
