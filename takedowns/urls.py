from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

from takedowns.views import catalogue, public, review, seller

app_name = "takedowns"

urlpatterns = [
    path("", public.home, name="home"),
    path("notices/new/", public.file_notice, name="file_notice"),
    path("notices/filed/<uuid:submission_key>/", public.notice_filed, name="notice_filed"),
    path("confirm/<str:reference>/<str:token>/", public.confirm, name="confirm"),
    path("track/<str:reference>/<str:token>/", public.track, name="track"),
    path("track/<str:reference>/<str:token>/withdraw/", public.withdraw, name="withdraw"),
    path("track/<str:reference>/<str:token>/answer/", public.answer, name="answer"),
    path("listings/", catalogue.listing_index, name="listing_index"),
    path("listings/<str:external_id>/", catalogue.listing_detail, name="listing_detail"),
    path("statement/<int:decision_id>/<str:token>/", seller.statement, name="statement"),
    path("review/login/", LoginView.as_view(template_name="takedowns/review/login.html",
                                            next_page="takedowns:review_queue"), name="review_login"),
    path("review/logout/", LogoutView.as_view(next_page="takedowns:review_login"), name="review_logout"),
    path("review/", review.queue, name="review_queue"),
    path("review/notices/<str:reference>/", review.notice_detail, name="review_notice"),
    path("review/notices/<str:reference>/claim/", review.claim, name="review_claim"),
    path("review/notices/<str:reference>/decide/", review.decide, name="review_decide"),
    path("review/notices/<str:reference>/reassign/", review.reassign, name="review_reassign"),
    path("review/notices/<str:reference>/escalate/", review.escalate, name="review_escalate"),
    path("review/evidence/<int:evidence_id>/", review.evidence_file, name="evidence_file"),
]
