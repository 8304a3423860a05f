"""evidence.py, the one writer of evidence files: what a form keeps under its key (one notice's worth
at most), and the beat's sweep of the files of forms never filed, hours after their upload."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from takedowns import evidence, tasks, workflow
from takedowns.models import Evidence
from tests.factories import PDF_BYTES, PNG_BYTES, notice_fields, upload

pytestmark = pytest.mark.django_db


def _kept(key: uuid.UUID, *names: str, content: bytes = PDF_BYTES) -> list[Evidence]:
    return evidence.keep(key, [("other", upload(name, content), "application/pdf") for name in names])


def _uploaded_ago(rows: list[Evidence], age: timedelta, now) -> None:
    Evidence.objects.filter(pk__in=[row.pk for row in rows]).update(uploaded_at=now - age)


def test_a_key_keeps_at_most_the_files_one_notice_may_carry(settings):
    settings.EVIDENCE_MAX_FILES = 3
    key, other_key = uuid.uuid4(), uuid.uuid4()
    assert [row.original_name for row in _kept(key, "a.pdf", "b.pdf")] == ["a.pdf", "b.pdf"]
    # Posted again to the same key (another tab, a script): only what still fits is kept.
    assert [row.original_name for row in _kept(key, "c.pdf", "d.pdf")] == ["c.pdf"]
    assert _kept(key, "e.pdf") == []
    assert sorted(Evidence.objects.filter(submission_key=key).values_list("original_name", flat=True)) == [
        "a.pdf", "b.pdf", "c.pdf"]
    assert len(_kept(other_key, "f.pdf")) == 1  # the cap is per key


def test_a_key_keeps_at_most_the_bytes_one_notice_may_carry(settings):
    settings.EVIDENCE_MAX_TOTAL_BYTES = 2 * len(PDF_BYTES) + 10
    key = uuid.uuid4()
    assert len(_kept(key, "a.pdf", "b.pdf", "c.pdf")) == 2
    assert Evidence.objects.filter(submission_key=key).count() == 2
    assert sum(Evidence.objects.values_list("size", flat=True)) == 2 * len(PDF_BYTES)


def test_files_a_notice_holds_do_not_count_against_its_form_key(settings, now):
    settings.EVIDENCE_MAX_FILES = 1
    key = uuid.uuid4()
    _kept(key, "a.pdf")
    workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], key, now)
    assert Evidence.objects.get().notice is not None
    assert len(_kept(key, "b.pdf")) == 1


def test_orphans_are_swept_hours_after_their_upload_not_days(settings, now):
    settings.EVIDENCE_ORPHAN_HOURS = 6
    stale = _kept(uuid.uuid4(), "stale.pdf", "stale.png")
    fresh = _kept(uuid.uuid4(), "fresh.pdf")
    filed_key = uuid.uuid4()
    filed = _kept(filed_key, "filed.pdf")
    workflow.file_notice(notice_fields(), [workflow.ReportedItem("L-1", "counterfeit")], filed_key, now)
    _uploaded_ago(stale + filed, timedelta(hours=6, minutes=1), now)
    _uploaded_ago(fresh, timedelta(hours=5, minutes=59), now)
    stale_files = [row.file.name for row in stale]

    assert evidence.sweep_orphans(now) == 2
    assert sorted(Evidence.objects.values_list("original_name", flat=True)) == ["filed.pdf", "fresh.pdf"]
    assert not any(default_storage.exists(name) for name in stale_files)
    assert all(default_storage.exists(row.file.name) for row in fresh + filed)
    assert evidence.sweep_orphans(now) == 0  # a second run finds nothing left to do


def test_the_sweep_works_through_more_orphans_than_one_batch(settings, now, monkeypatch):
    monkeypatch.setattr(evidence, "SWEEP_BATCH", 2)
    settings.EVIDENCE_MAX_FILES = 10
    _uploaded_ago(_kept(uuid.uuid4(), *(f"{n}.png" for n in range(5)), content=PNG_BYTES), timedelta(days=1), now)
    assert evidence.sweep_orphans(now) == 5
    assert not Evidence.objects.exists()


def test_beat_sweeps_orphans_every_quarter_hour(settings):
    _uploaded_ago(_kept(uuid.uuid4(), "stale.pdf"), timedelta(hours=settings.EVIDENCE_ORPHAN_HOURS, seconds=1),
                  timezone.now())
    assert tasks.sweep_orphan_evidence() == 1
    assert settings.CELERY_BEAT_SCHEDULE["sweep-orphan-evidence"] == {
        "task": "takedowns.tasks.sweep_orphan_evidence", "schedule": 900.0}
