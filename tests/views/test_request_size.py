"""A request body over REQUEST_MAX_BODY_BYTES is refused from its Content-Length, before anything reads
it, with a page that gives the limits and says honestly that nothing of it was kept (issue 10)."""

import uuid

import pytest

from takedowns.models import Evidence, Notice
from tests.commands import PRODUCTION, run_manage
from tests.factories import PDF_BYTES, routed, upload

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


class UnreadBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body of a request over the limit was read")

    readline = read


def _declared(client, url: str, length: int):
    """A POST that announces `length` bytes of multipart form and lets nobody read them."""
    return client.post(url, data=b"", content_type="multipart/form-data; boundary=xyz",
                       CONTENT_LENGTH=str(length), **{"wsgi.input": UnreadBody()})


def test_a_150_mb_notice_is_refused_before_its_body_is_read(client):
    response = _declared(client, "/notices/new/", 150 * MB)
    assert response.status_code == 413
    text = " ".join(response.content.decode().replace("\xa0", " ").split())
    assert "You sent 150.0 MB; this site accepts at most <strong>28.0 MB</strong> in one sending." in text
    assert "Evidence files may each be at most 10.0 MB, and all the files of one notice together at most 25.0 MB." \
        in text
    assert "Nothing of this sending was received or saved: not the files, and not what you typed in the form." in text
    assert Notice.objects.count() == Evidence.objects.count() == 0


@pytest.mark.parametrize("url", ["/notices/new/", "/review/login/", "/admin/login/", "/review/notices/TD-X/decide/",
                                 "/track/TD-X/token/answer/", "/statement/1/token/counter-notice/"])
def test_every_post_is_held_to_the_limit(client, url):
    assert _declared(client, url, 28 * MB + 1).status_code == 413


def test_a_body_within_the_limit_reaches_the_form(client, settings):
    settings.REQUEST_MAX_BODY_BYTES = 4000
    data = {"submission_key": str(uuid.uuid4()), "submitter_name": ""}
    refused = client.post("/notices/new/", {**data, "test_buy": upload("big.pdf", PDF_BYTES + b"0" * 4000)})
    assert refused.status_code == 413 and Evidence.objects.count() == 0
    accepted = client.post("/notices/new/", {**data, "test_buy": upload("small.pdf", PDF_BYTES)})
    assert accepted.status_code == 400  # the form's own errors, beside its fields
    assert list(Evidence.objects.values_list("original_name", flat=True)) == ["small.pdf"]


def test_the_tracking_pages_answer_form_is_held_to_it_too(client, settings, now, catalogue, reviewers):
    notice = routed(now)
    settings.REQUEST_MAX_BODY_BYTES = 2000
    response = client.post(f"{notice.tracking_path()}answer/",
                           {"answer": "here", "files": upload("a.pdf", PDF_BYTES + b"0" * 3000)})
    assert response.status_code == 413
    assert Evidence.objects.count() == 0


def _setting(env: dict, name: str) -> str:
    result = run_manage({**PRODUCTION, **env}, "shell", "--no-imports", "-c", f"from django.conf import settings; "
                                                             f"print(settings.{name})")
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def test_the_limit_is_one_notices_evidence_and_its_form_unless_set():
    assert _setting({}, "REQUEST_MAX_BODY_BYTES") == str(28 * MB)
    assert _setting({"EVIDENCE_MAX_TOTAL_MB": "40"}, "REQUEST_MAX_BODY_BYTES") == str(43 * MB)
    assert _setting({"REQUEST_MAX_BODY_MB": "12"}, "REQUEST_MAX_BODY_BYTES") == str(12 * MB)
    assert _setting({}, "EVIDENCE_ORPHAN_HOURS") == "6"


def test_a_limit_too_small_for_one_file_stops_the_start():
    result = run_manage({**PRODUCTION, "REQUEST_MAX_BODY_MB": "10"}, "check")
    assert result.returncode == 1
    assert result.stderr.strip() == "Configuration error: REQUEST_MAX_BODY_MB=10 must be at least 11."
