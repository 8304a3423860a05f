from django.contrib.auth.views import LogoutView
from django.urls import path, register_converter

from takedowns.access import public as public_page
from takedowns.views import (
    accounts,
    appeals,
    catalogue,
    counter_notices,
    dashboard,
    marketplace,
    notifier_policy,
    notifiers,
    organisations,
    policies,
    privacy,
    public,
    referrals,
    registry,
    review,
    screening,
    sell,
    seller,
    tdb,
    transparency,
)
from takedowns.views import uploads as upload_views


class TextConverter:
    """A path segment of printable text: the `str` converter less the control characters. A reference,
    a token, a listing id or a report period never holds one, and PostgreSQL refuses a NUL in any
    query, so a URL with one is no page of ours (404) rather than a database error (500)."""

    regex = r"[^/\x00-\x1f\x7f-\x9f]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TextConverter, "text")

app_name = "takedowns"

urlpatterns = [
    path("", public.home, name="home"),
    path("notices/new/", public.file_notice, name="file_notice"),
    path("notices/filed/<uuid:submission_key>/", public.notice_filed, name="notice_filed"),
    path("confirm/<text:reference>/<text:token>/", public.confirm, name="confirm"),
    path("track/<text:reference>/<text:token>/", public.track, name="track"),
    path("track/<text:reference>/<text:token>/state.json", public.track_state, name="track_state"),
    path("track/<text:reference>/<text:token>/withdraw/", public.withdraw, name="withdraw"),
    path("track/<text:reference>/<text:token>/answer/", public.answer, name="answer"),
    path("track/<text:reference>/<text:token>/resubmit/<int:decision_id>/", public.resubmit, name="resubmit"),
    path("track/<text:reference>/<text:token>/appeal/<int:decision_id>/", appeals.submitter_appeal,
         name="appeal_rejection"),
    path("track/<text:reference>/<text:token>/counter-notices/<int:counter_notice_id>/lawsuit/", public.report_lawsuit,
         name="report_lawsuit"),
    path("track/<text:reference>/<text:token>/notifier-measures/<int:measure_id>/appeal/", notifiers.tracking_appeal,
         name="tracking_notifier_appeal"),
    path("privacy/", privacy.privacy, name="privacy"),
    # The published policies (issue 11, item 4), with the notifier misuse policy (DSA Art. 23(4)).
    path("policies/", policies.index, name="policies"),
    path("policies/repeat-infringers/", policies.repeat_infringers, name="policy_repeat_infringers"),
    path("policies/notice-handling/", policies.notice_handling, name="policy_notice_handling"),
    path("policies/contesting-decisions/", policies.contesting_decisions, name="policy_contesting_decisions"),
    path("policies/notifier-misuse/", notifier_policy.notifier_misuse, name="policy_notifier_misuse"),
    path("notifier-measures/<int:measure_id>/<text:token>/", notifiers.measure_page, name="notifier_measure"),
    path("notifier-measures/<int:measure_id>/<text:token>/appeal/", notifiers.measure_appeal,
         name="notifier_measure_appeal"),
    path("listings/", catalogue.listing_index, name="listing_index"),
    path("listings/<text:external_id>/", catalogue.listing_detail, name="listing_detail"),
    # Issue 14, the marketplace side: the demo catalogue's seller page, and the hook of an external marketplace.
    path("sell/", sell.choose_seller, name="sell_index"),
    path("sell/<text:seller_external_id>/", sell.seller_page, name="sell_seller"),
    path("sell/<text:seller_external_id>/listings/<text:external_id>/", sell.edit_listing, name="sell_edit"),
    path("marketplace/listings/", marketplace.listings_hook, name="marketplace_listings"),
    path("statement/<int:decision_id>/<text:token>/", seller.statement, name="statement"),
    path("statement/<int:decision_id>/<text:token>/appeal/", appeals.seller_removal_appeal, name="appeal_removal"),
    path("statement/<int:decision_id>/<text:token>/counter-notice/", seller.file_counter_notice,
         name="file_counter_notice"),
    path("penalty/<int:penalty_id>/<text:token>/", seller.penalty_statement, name="penalty_statement"),
    path("penalty/<int:penalty_id>/<text:token>/appeal/", appeals.seller_penalty_appeal, name="appeal_penalty"),
    path("review/login/", public_page(accounts.LoginPage.as_view()), name="review_login"),
    path("review/login/verify/", accounts.verify, name="two_factor_verify"),
    path("review/account/two-factor/", accounts.enrolment, name="two_factor"),
    path("review/account/two-factor/recovery-codes/", accounts.recovery_codes, name="two_factor_recovery_codes"),
    path("review/logout/", public_page(LogoutView.as_view(next_page="takedowns:review_login")), name="review_logout"),
    path("review/", review.queue, name="review_queue"),
    path("review/notices/<text:reference>/", review.notice_detail, name="review_notice"),
    path("review/notices/<text:reference>/claim/", review.claim, name="review_claim"),
    path("review/notices/<text:reference>/release/", review.release, name="review_release"),
    path("review/notices/<text:reference>/decide/", review.decide, name="review_decide"),
    path("review/notices/<text:reference>/reassign/", review.reassign, name="review_reassign"),
    path("review/notices/<text:reference>/escalate/", review.escalate, name="review_escalate"),
    path("review/evidence/<int:evidence_id>/", review.evidence_file, name="evidence_file"),
    # The Screening queue: listings screening held, decided by reviewers (issue 14).
    path("review/screening/", screening.queue, name="review_screening"),
    path("review/screening/<text:reference>/decide/", screening.decide, name="review_screening_decide"),
    path("review/screening/pictures/<int:evidence_id>/", screening.reference_image, name="screening_reference_image"),
    path("review/appeals/", appeals.queue, name="appeal_queue"),
    path("review/appeals/<int:appeal_id>/", appeals.appeal_detail, name="appeal_detail"),
    path("review/appeals/<int:appeal_id>/decide/", appeals.decide, name="appeal_decide"),
    path("review/counter-notices/", counter_notices.queue, name="review_counter_notices"),
    path("review/counter-notices/<int:counter_notice_id>/", counter_notices.detail, name="review_counter_notice"),
    path("review/counter-notices/<int:counter_notice_id>/accept/", counter_notices.accept,
         name="review_counter_notice_accept"),
    path("review/counter-notices/<int:counter_notice_id>/incomplete/", counter_notices.incomplete,
         name="review_counter_notice_incomplete"),
    path("review/decisions/tdb.json", tdb.decision_statements, name="tdb_statements"),
    path("review/decisions/<int:decision_id>/tdb.json", tdb.decision_statement, name="tdb_statement"),
    path("review/penalties/<int:penalty_id>/tdb.json", tdb.penalty_statement, name="tdb_penalty_statement"),
    # Notifier misuse (DSA Art. 23): proposals and appeals, for leads.
    path("review/notifiers/", notifiers.cases, name="notifier_cases"),
    path("review/notifiers/proposals/<int:proposal_id>/", notifiers.proposal_page, name="notifier_proposal"),
    path("review/notifiers/proposals/<int:proposal_id>/decide/", notifiers.decide_proposal,
         name="notifier_proposal_decide"),
    path("review/notifiers/proposals/<int:proposal_id>/dismiss/", notifiers.dismiss_proposal,
         name="notifier_proposal_dismiss"),
    path("review/notifiers/appeals/<int:appeal_id>/", notifiers.appeal_page, name="notifier_appeal"),
    path("review/notifiers/appeals/<int:appeal_id>/decide/", notifiers.decide_appeal, name="notifier_appeal_decide"),
    # The leads' SLA dashboard and the public transparency report (DSA Art. 15/24).
    path("review/referrals/", referrals.referral_list, name="referrals"),
    path("review/referrals/new/", referrals.referral_new, name="referral_new"),
    path("review/referrals/<text:reference>/archive.zip", referrals.referral_archive, name="referral_archive"),
    path("review/dashboard/", dashboard.dashboard, name="dashboard"),
    path("review/dashboard/figures.csv", dashboard.figures_csv, name="dashboard_figures_csv"),
    path("review/dashboard/durations.csv", dashboard.durations_csv, name="dashboard_durations_csv"),
    # The rights registry (issue 14): registering a right without an account, its private page, and the leads'
    # verification.
    path("rights/register/", registry.register, name="right_register"),
    path("rights/registered/<uuid:submission_key>/", registry.right_filed, name="right_filed"),
    path("rights/confirm/<text:reference>/<text:token>/", registry.right_confirm, name="right_confirm"),
    path("rights/<text:reference>/<text:token>/", registry.right_track, name="right_track"),
    path("rights/<text:reference>/<text:token>/protection/", registry.right_update, name="right_update"),
    path("rights/<text:reference>/<text:token>/withdraw/", registry.right_withdraw, name="right_withdraw"),
    path("rights/<text:reference>/<text:token>/files/<int:evidence_id>/", registry.right_file, name="right_file"),
    path("review/rights/", registry.review_rights, name="review_rights"),
    path("review/rights/files/<int:evidence_id>/", registry.right_evidence_file, name="right_evidence_file"),
    path("review/rights/<text:reference>/", registry.review_right, name="review_right"),
    path("review/rights/<text:reference>/verify/", registry.review_right_verify, name="review_right_verify"),
    path("review/rights/<text:reference>/reject/", registry.review_right_reject, name="review_right_reject"),
    # Organisations without a portal account (issue 15): registering, confirming the domain, the private page
    # (API keys, webhook endpoints), and the leads' verification.
    path("organisations/register/", organisations.register, name="organisation_register"),
    path("organisations/registered/<uuid:submission_key>/", organisations.organisation_filed,
         name="organisation_filed"),
    path("organisations/<text:reference>/confirm/<text:token>/", organisations.organisation_confirm,
         name="organisation_confirm"),
    path("organisations/<text:reference>/<text:token>/", organisations.organisation_page, name="organisation_page"),
    path("organisations/<text:reference>/<text:token>/keys/new/", organisations.key_create,
         name="organisation_key_create"),
    path("organisations/<text:reference>/<text:token>/keys/<int:key_id>/revoke/", organisations.key_revoke,
         name="organisation_key_revoke"),
    path("organisations/<text:reference>/<text:token>/keys/<int:key_id>/rotate/", organisations.key_rotate,
         name="organisation_key_rotate"),
    path("organisations/<text:reference>/<text:token>/webhooks/new/", organisations.endpoint_add,
         name="organisation_endpoint_add"),
    path("organisations/<text:reference>/<text:token>/webhooks/<int:endpoint_id>/rotate/",
         organisations.endpoint_rotate, name="organisation_endpoint_rotate"),
    path("organisations/<text:reference>/<text:token>/webhooks/<int:endpoint_id>/remove/",
         organisations.endpoint_remove, name="organisation_endpoint_remove"),
    path("organisations/<text:reference>/<text:token>/webhooks/<int:endpoint_id>/test/", organisations.endpoint_test,
         name="organisation_endpoint_test"),
    path("review/organisations/", organisations.review_organisations, name="review_organisations"),
    path("review/organisations/<text:reference>/", organisations.review_organisation, name="review_organisation"),
    path("review/organisations/<text:reference>/verify/", organisations.review_organisation_verify,
         name="review_organisation_verify"),
    path("review/organisations/<text:reference>/reject/", organisations.review_organisation_reject,
         name="review_organisation_reject"),
    path("review/organisations/<text:reference>/suspend/", organisations.review_organisation_suspend,
         name="review_organisation_suspend"),
    path("transparency/", transparency.index, name="transparency_index"),
    path("transparency/<text:period>/", transparency.report, name="transparency_report"),
    path("transparency/<text:period>/template.csv", transparency.report_template_csv, name="transparency_template_csv"),
    path("transparency/<text:period>.json", transparency.report_json, name="transparency_json"),
    path("transparency/<text:period>.csv", transparency.report_csv, name="transparency_csv"),
]

# --- issue 15: CSV uploads (views/uploads.py) under an organisation's private link, and the public template. ---
_ORGANISATION = "organisations/<text:reference>/<text:token>/"
urlpatterns += [
    path("organisations/uploads/template.csv", upload_views.upload_template, name="upload_template"),
    path(_ORGANISATION + "uploads/new/", upload_views.new_upload, name="upload_new"),
    path(_ORGANISATION + "uploads/<uuid:public_id>/", upload_views.upload_page, name="upload_page"),
    path(_ORGANISATION + "uploads/<uuid:public_id>/progress", upload_views.upload_progress, name="upload_progress"),
    path(_ORGANISATION + "uploads/<uuid:public_id>/errors.csv", upload_views.upload_errors, name="upload_errors"),
    path(_ORGANISATION + "uploads/<uuid:public_id>/file/", upload_views.file_upload, name="upload_file"),
]
