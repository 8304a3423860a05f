"""The CSV upload of an organisation's private page (issue 15, point 4): the form with the notice fields the rows
do not carry, and the checks of the file's rows, which are the notice form's own (forms/public.py): a listing,
an infringement that fits the right, the right's fields, each listing once per notice. Validation only: the
worker runs the row checks (workflow/uploads.py), which records what they find."""

import csv
import io
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from takedowns import legal
from takedowns.api_keys import address_at_domain
from takedowns.enums import REASONS_FOR_RIGHT, InfringementReason, RightType
from takedowns.forms.public import (
    _ROW,
    NoticeForm,
    _same_listing_key,
    already_reported,
    check_reported,
    check_size,
    reason_mismatch,
)
from takedowns.models import CsvUpload, Organisation
from takedowns.workflow import ReportedItem
from takedowns.workflow.uploads import Checked, Group, RowError

# The notice form's own fields (a form instance copies them): the same labels, limits and messages.
_NOTICE = NoticeForm.base_fields
# How often the worker records its progress (the page's bar), in rows.
CHUNK = 500

# The columns, in the template's order, as the header names them (case, spaces and hyphens do not matter).
LISTING, REASON, RIGHT_TYPE, NUMBER, OFFICE, OWNER = ("listing", "reason", "right_type", "registration_number",
                                                      "office", "owner")
COLUMNS = (LISTING, REASON, RIGHT_TYPE, NUMBER, OFFICE, OWNER)
# Other names a spreadsheet of listings often uses for the same column.
ALIASES = {"url": LISTING, "listing_url": LISTING, "listing_id": LISTING, "listing_url_or_id": LISTING,
           "infringement": REASON, "reason_code": REASON, "right": RIGHT_TYPE, "type_of_right": RIGHT_TYPE,
           "registration": NUMBER, "registration_no": NUMBER, "number": NUMBER, "jurisdiction": OFFICE,
           "office_or_jurisdiction": OFFICE, "rights_owner": OWNER, "right_owner": OWNER, "owner_name": OWNER}
# The notice form's field that checks each right column, as it checks the form's.
RIGHT_FIELDS = {NUMBER: "right_registration_number", OFFICE: "right_office", OWNER: "right_owner"}

TEMPLATE_ROWS = [
    list(COLUMNS),
    ["https://marketplace.example/listings/L-100001/", InfringementReason.COUNTERFEIT, RightType.TRADEMARK,
     "018234567", "EUIPO", "Aurora Lighting GmbH"],
    ["L-100002", InfringementReason.COPYRIGHT_IMAGES, RightType.COPYRIGHT,
     "Product photos of the Aurora lamp, 2024", "Germany", "Aurora Lighting GmbH"],
]


def template_csv() -> str:
    """The template to download: the header row and two example rows."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(TEMPLATE_ROWS)
    return out.getvalue()


class UploadForm(forms.Form):
    """The notice fields the rows do not carry, and the file. The submitter's address must be at the
    organisation's domain (api_keys.address_at_domain). Given `previous` (an earlier upload of the
    organisation, corrected here), its file is kept unless another is chosen."""

    submission_key = _NOTICE["submission_key"]
    submitter_name = _NOTICE["submitter_name"]
    submitter_organisation = _NOTICE["submitter_organisation"]
    submitter_email = _NOTICE["submitter_email"]
    submitter_country = _NOTICE["submitter_country"]
    submitter_role = _NOTICE["submitter_role"]
    language = _NOTICE["language"]
    submitter_address = _NOTICE["submitter_address"]
    submitter_phone = _NOTICE["submitter_phone"]
    description = _NOTICE["description"]
    file = forms.FileField(
        label=_("CSV file"), required=False, widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_("UTF-8 (with or without BOM), separated by commas or semicolons, with the template's header "
                    "row."))
    previous = forms.UUIDField(required=False, widget=forms.HiddenInput)
    good_faith_statement = _NOTICE["good_faith_statement"]
    accuracy_statement = _NOTICE["accuracy_statement"]
    signature = _NOTICE["signature"]

    ENGLISH_ORIGINALS = NoticeForm.ENGLISH_ORIGINALS
    # The fields kept with the upload: Notice fields, as NoticeForm.notice_fields() gives them.
    NOTICE_FIELDS = ("submitter_name", "submitter_organisation", "submitter_email", "submitter_address",
                     "submitter_phone", "submitter_country", "submitter_role", "language", "description",
                     "good_faith_statement", "accuracy_statement", "signature")

    def __init__(self, *args: Any, organisation: Organisation, previous: CsvUpload | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The upload corrected here (the form's own "previous" field carries its id).
        self.organisation, self.corrected = organisation, previous
        self.fields["submitter_email"].help_text = gettext(
            "An address at %(domain)s: we write to it about these notices.") % {"domain": organisation.domain}
        if previous is not None:
            self.fields["file"].help_text = gettext(
                "Leave empty to check “%(name)s” again with the fields above; or choose the corrected file.") % {
                "name": previous.original_name}

    clean_submitter_phone = NoticeForm.clean_submitter_phone
    # The same check: it reads only cleaned_data's name and signature, and adds its error to "signature".
    _check_signature = NoticeForm._check_signature

    def clean_submitter_email(self) -> str:
        email = self.cleaned_data.get("submitter_email", "")
        if email and not address_at_domain(email, self.organisation.domain):
            raise ValidationError(gettext("Use an address at %(domain)s (or one of its subdomains): your "
                                          "organisation files in the name of the addresses it controls.")
                                  % {"domain": self.organisation.domain})
        return email

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            if upload.size > settings.CSV_UPLOAD_MAX_BYTES:
                raise ValidationError(gettext("“%(name)s” is %(size)s; a CSV file may be at most %(limit)s. Split "
                                              "it into several files.") % {
                    "name": upload.name, "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.CSV_UPLOAD_MAX_BYTES)})
            check_size(upload)  # not empty
        return upload

    def clean(self):
        data = super().clean()
        self._check_signature()  # type: ignore[misc]  # NoticeForm's, shared: see above
        if not self.cleaned_data.get("file") and self.corrected is None and "file" not in self.errors:
            self.add_error("file", gettext("Choose the CSV file of listings to upload."))
        return data

    def file_and_name(self) -> tuple[UploadedFile | str, str]:
        """The file chosen, or the stored file of the upload corrected (clean() made sure there is one), and its
        name as the uploader knows it."""
        chosen = self.cleaned_data.get("file")
        if chosen:
            return chosen, chosen.name or ""
        assert self.corrected is not None  # clean() refuses a form with neither
        return str(self.corrected.file.name), self.corrected.original_name

    def notice_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.NOTICE_FIELDS}


# --- The rows. ---

def check_file(data: bytes, fields: dict) -> Iterator[Checked]:
    """Check a file's rows as the notice form checks its listings, CHUNK rows at a time (each chunk's progress
    yielded); the last one yielded is `done`, with every problem found, or the notices the rows make."""
    rows, problem = _rows(data)
    if problem is not None:
        yield Checked(0, 0, [problem], [], done=True)
        return
    header, body = rows[0], rows[1:]
    columns, errors = _columns(header)
    count = len(body)
    if not errors and count > settings.CSV_UPLOAD_MAX_ROWS:
        errors.append(RowError(None, "", gettext(
            "The file has %(count)s rows of listings; one file may have at most %(limit)s. Split it into several "
            "files.") % {"count": count, "limit": settings.CSV_UPLOAD_MAX_ROWS}))
    elif not errors and not count:
        errors.append(RowError(None, "", gettext("The file has a header row but no rows of listings.")))
    if errors:
        yield Checked(0, count, errors, [], done=True)
        return
    checker = _RowChecker()
    yield Checked(0, count, [], [])  # the number of rows, for the bar, before the first chunk is checked
    for start in range(0, count, CHUNK):
        for number, values in body[start:start + CHUNK]:
            checker.check(number, {column: _cell(values, index) for column, index in columns.items()})
        yield Checked(min(start + CHUNK, count), count, checker.errors, [])
    errors = checker.errors + _contact_problems(checker.groups, fields)
    yield Checked(count, count, errors, [] if errors else checker.groups, done=True)


def groups_of(data: bytes) -> list[Group]:
    """The notices a file already found valid makes, one per right, in the order of their first rows."""
    *_progress, checked = check_file(data, {})
    if checked.errors:
        raise ValueError(f"the file has {len(checked.errors)} problems; only a valid file is filed")
    return checked.groups


def _rows(data: bytes) -> tuple[list[tuple[int, list[str]]], RowError | None]:
    """The file's non-blank rows with their row numbers (a spreadsheet's: the header is row 1), or what keeps
    it from being read: not UTF-8, not CSV, empty."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[:exc.start].count(b"\n") + 1
        return [], RowError(row, "", gettext(
            "Row %(row)s is not UTF-8 text. Save the file as “CSV UTF-8” (in Excel: Save as → CSV UTF-8; in "
            "LibreOffice: character set Unicode (UTF-8)) and upload it again.") % {"row": row})
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for values in reader:
            if any(value.strip() for value in values):
                rows.append((reader.line_num, values))
    except csv.Error as exc:
        return [], RowError(reader.line_num, "", gettext("Row %(row)s cannot be read as CSV (%(problem)s).") % {
            "row": reader.line_num, "problem": exc})
    if not rows:
        return [], RowError(None, "", gettext("The file is empty: start from the template, which has the header "
                                              "row and two example rows."))
    return rows, None


def _columns(header: tuple[int, list[str]]) -> tuple[dict[str, int], list[RowError]]:
    """Where each column is (other columns are ignored), and a problem for each one missing or given twice."""
    number, names = header
    found: dict[str, int] = {}
    errors = []
    for index, name in enumerate(names):
        column = "_".join(name.strip().lower().replace("-", " ").split())
        column = ALIASES.get(column, column)
        if column in found:
            errors.append(RowError(number, column, gettext("The column “%(column)s” is there twice; keep one.")
                                   % {"column": column}))
        elif column in COLUMNS:
            found[column] = index
    for column in COLUMNS:
        if column not in found:
            errors.append(RowError(number, column, gettext(
                "The header row has no column “%(column)s”. The first row must name the columns: %(columns)s "
                "(as in the template).") % {"column": column, "columns": ", ".join(COLUMNS)}))
    return found, errors


def _cell(values: list[str], index: int) -> str:
    return values[index].strip() if index < len(values) else ""


class _RowChecker:
    """Checks rows one by one, collecting every problem and the rows' notices (one per right)."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self._groups: dict[str, Group] = {}
        self._seen: dict[tuple[str, str], int] = {}  # (right, same-listing key) -> the row that reported it

    @property
    def groups(self) -> list[Group]:
        return list(self._groups.values())

    def check(self, number: int, row: dict[str, str]) -> None:
        problems = len(self.errors)
        reported = self._listing(number, row[LISTING])
        right_type = self._code(number, RIGHT_TYPE, row[RIGHT_TYPE], RightType)
        reason = self._code(number, REASON, row[REASON], InfringementReason)
        right = {column: self._right_field(number, column, row[column]) for column in RIGHT_FIELDS}
        if reason and right_type and reason not in REASONS_FOR_RIGHT[right_type]:
            self.errors.append(RowError(number, REASON, reason_mismatch(reason, right_type)))
        if len(self.errors) > problems or not (reported and right_type and reason):
            return
        group = Group(right_type, right[NUMBER], right[OFFICE], right[OWNER])
        group = self._groups.setdefault(group.key, group)
        seen = (group.key, _same_listing_key(reported))
        if seen in self._seen:
            self.errors.append(RowError(number, LISTING, already_reported((_ROW, self._seen[seen]))))
            return
        self._seen[seen] = number
        group.items.append(ReportedItem(reported, reason))

    def _listing(self, number: int, value: str) -> str:
        if not value:
            self.errors.append(RowError(number, LISTING, gettext("Enter the listing's URL or ID.")))
            return ""
        try:
            return check_reported(value)
        except ValidationError as exc:
            self.errors.append(RowError(number, LISTING, exc.messages[0]))
            return ""

    def _code(self, number: int, column: str, value: str, choices: type[InfringementReason] | type[RightType]) -> str:
        code = value.strip().lower()
        if code in choices.values:
            return code
        allowed = ", ".join(choices.values)
        if not code:
            message = gettext("Give one of the codes %(codes)s.") % {"codes": allowed}
        else:
            message = gettext("“%(value)s” is not one of the codes %(codes)s.") % {"value": value[:80],
                                                                                   "codes": allowed}
        self.errors.append(RowError(number, column, message))
        return ""

    def _right_field(self, number: int, column: str, value: str) -> str:
        try:
            return _NOTICE[RIGHT_FIELDS[column]].clean(value)
        except ValidationError as exc:
            self.errors.append(RowError(number, column, exc.messages[0]))
            return ""


def _contact_problems(groups: list[Group], fields: dict) -> list[RowError]:
    """A copyright notice must say how to reach its sender (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)): the fields
    typed beside a file with copyright rows must give a postal address and a telephone number."""
    if not fields or not any(legal.is_dmca_notice(group.right_type) for group in groups):
        return []
    problems = []
    if not (fields.get("submitter_address") or "").strip():
        problems.append(RowError(None, "submitter_address", gettext(
            "The file has copyright rows: give your postal address above, as a copyright notice must say how to "
            "reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)).")))
    if not (fields.get("submitter_phone") or "").strip():
        problems.append(RowError(None, "submitter_phone", gettext(
            "The file has copyright rows: give your telephone number above, as a copyright notice must say how "
            "to reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)).")))
    return problems
