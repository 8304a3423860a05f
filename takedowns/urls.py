from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

from takedowns.views import catalogue, public, review, seller
from takedowns.views import transparency
from takedowns.views import appeals
from takedowns.views import counter_notices
from takedowns.views import dashboard, report

app_name = "takedowns"

urlpatterns = [
    path("", public.home, name="home"),
    path("notices/new/", public.file_notice, name="file_notice"),
    path("notices/filed/<uuid:submission_key>/", public.notice_filed, name="notice_filed"),
    path("confirm/<str:reference>/<str:token>/", public.confirm, name="confirm"),
    path("track/<str:reference>/<str:token>/", public.track, name="track"),
    path("track/<str:reference>/<str:token>/withdraw/", public.withdraw, name="withdraw"),
    path("track/<str:reference>/<str:token>/answer/", public.answer, name="answer"),
    path("track/<str:reference>/<str:token>/appeal/<int:decision_id>/", appeals.submitter_appeal,
         name="appeal_rejection"),
    path("track/<str:reference>/<str:token>/counter-notices/<int:counter_notice_id>/lawsuit/", public.report_lawsuit,
         name="report_lawsuit"),
    path("listings/", catalogue.listing_index, name="listing_index"),
    path("listings/<str:external_id>/", catalogue.listing_detail, name="listing_detail"),
    path("statement/<int:decision_id>/<str:token>/", seller.statement, name="statement"),
    path("statement/<int:decision_id>/<str:token>/appeal/", appeals.seller_removal_appeal, name="appeal_removal"),
    path("statement/<int:decision_id>/<str:token>/counter-notice/", seller.file_counter_notice,
         name="file_counter_notice"),
    path("penalty/<int:penalty_id>/<str:token>/", seller.penalty_statement, name="penalty_statement"),
    path("penalty/<int:penalty_id>/<str:token>/appeal/", appeals.seller_penalty_appeal, name="appeal_penalty"),
    path("review/login/", LoginView.as_view(template_name="takedowns/review/login.html",
                                            next_page="takedowns:review_queue"), name="review_login"),
    path("review/logout/", LogoutView.as_view(next_page="takedowns:review_login"), name="review_logout"),
    path("review/", review.queue, name="review_queue"),
    path("review/notices/<str:reference>/", review.notice_detail, name="review_notice"),
    path("review/notices/<str:reference>/claim/", review.claim, name="review_claim"),
    path("review/notices/<str:reference>/release/", review.release, name="review_release"),
    path("review/notices/<str:reference>/decide/", review.decide, name="review_decide"),
    path("review/notices/<str:reference>/reassign/", review.reassign, name="review_reassign"),
    path("review/notices/<str:reference>/escalate/", review.escalate, name="review_escalate"),
    path("review/evidence/<int:evidence_id>/", review.evidence_file, name="evidence_file"),
    path("review/appeals/", appeals.queue, name="appeal_queue"),
    path("review/appeals/<int:appeal_id>/", appeals.appeal_detail, name="appeal_detail"),
    path("review/appeals/<int:appeal_id>/decide/", appeals.decide, name="appeal_decide"),
    path("review/counter-notices/", counter_notices.queue, name="review_counter_notices"),
    path("review/counter-notices/<int:counter_notice_id>/", counter_notices.detail, name="review_counter_notice"),
    path("review/counter-notices/<int:counter_notice_id>/accept/", counter_notices.accept,
         name="review_counter_notice_accept"),
    path("review/counter-notices/<int:counter_notice_id>/incomplete/", counter_notices.incomplete,
         name="review_counter_notice_incomplete"),
    path("review/decisions/tdb.json", transparency.decision_statements, name="tdb_statements"),
    path("review/decisions/<int:decision_id>/tdb.json", transparency.decision_statement, name="tdb_statement"),
    path("review/penalties/<int:penalty_id>/tdb.json", transparency.penalty_statement, name="tdb_penalty_statement"),
    # The leads' SLA dashboard and the public transparency report (DSA Art. 15/24).
    path("review/dashboard/", dashboard.dashboard, name="dashboard"),
    path("review/dashboard/figures.csv", dashboard.figures_csv, name="dashboard_figures_csv"),
    path("review/dashboard/durations.csv", dashboard.durations_csv, name="dashboard_durations_csv"),
    path("transparency/", report.index, name="transparency_index"),
    path("transparency/<str:period>/", report.report, name="transparency_report"),
    path("transparency/<str:period>.json", report.report_json, name="transparency_json"),
    path("transparency/<str:period>.csv", report.report_csv, name="transparency_csv"),
]
