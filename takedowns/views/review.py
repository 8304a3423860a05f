"""Reviewer pages. The moderation queue arrives with the review issue; for now evidence files."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404

from takedowns.models import Evidence


@staff_member_required
def evidence_file(request: HttpRequest, evidence_id: int) -> FileResponse:
    evidence = get_object_or_404(Evidence, pk=evidence_id, notice__isnull=False)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)
