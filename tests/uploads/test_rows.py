"""The rows of a CSV upload, checked as the notice form checks its listings (forms/uploads.py): every bad row
reported with its row number (a spreadsheet's: the header is row 1), column and message, none left out; the
file's own problems (encoding, header, size); and the notices the rows make, one per right."""

import pytest

from takedowns.forms.uploads import TEMPLATE_ROWS, check_file, groups_of, template_csv
from takedowns.workflow import ReportedItem
from tests.factories import UPLOAD_COPYRIGHT, UPLOAD_FIELDS, UPLOAD_TRADEMARK, csv_bytes, listing_rows


def result(data: bytes, fields: dict | None = None):
    *_progress, checked = check_file(data, UPLOAD_FIELDS if fields is None else fields)
    assert checked.done
    return checked


def problems(data: bytes, fields: dict | None = None) -> list[tuple]:
    return [(error.row, error.field, error.message) for error in result(data, fields).errors]


def test_the_template_is_a_valid_file_of_two_notices():
    assert template_csv().splitlines()[0] == "listing,reason,right_type,registration_number,office,owner"
    checked = result(template_csv().encode(), {**UPLOAD_FIELDS, "submitter_address": "Berlin",
                                               "submitter_phone": "+49 30 1234567"})
    assert (checked.errors, checked.row_count, checked.rows_checked) == ([], 2, 2)
    assert [(group.right_type, [item.reported for item in group.items]) for group in checked.groups] == [
        ("trademark", ["https://marketplace.example/listings/L-100001/"]), ("copyright", ["L-100002"])]
    assert len(TEMPLATE_ROWS) == 3


def test_every_bad_row_is_reported_with_its_row_column_and_the_forms_message():
    data = csv_bytes([
        ["not a listing", "counterfeit", *UPLOAD_TRADEMARK],            # row 2
        ["L-100001", "stolen", *UPLOAD_TRADEMARK],                      # row 3
        ["L-100002", "counterfeit", "brand", "1", "EUIPO", "Owner"],    # row 4
        ["L-100003", "copyright_text", *UPLOAD_TRADEMARK],              # row 5: does not fit a trademark
        ["L-100004", "counterfeit", "trademark", "", "EUIPO", "Owner"],  # row 6
        ["", "", *UPLOAD_TRADEMARK],                                    # row 7
        ["L-100005", "counterfeit", *UPLOAD_TRADEMARK],                 # row 8: good
    ])
    assert problems(data) == [
        (2, "listing", "“not a listing” is neither a web address (https://…) nor a listing ID such as L-100001."),
        (3, "reason", "“stolen” is not one of the codes counterfeit, trademark_misuse, copyright_images, "
                      "copyright_text, design, patent."),
        (4, "right_type", "“brand” is not one of the codes trademark, copyright, design, patent."),
        (5, "reason", "“Copyright: text copied” does not fit the type of right “Trademark”; choose “Counterfeit "
                      "goods” or “Trademark misuse (logo or brand name used without permission)”, or change the "
                      "type of right."),
        (6, "registration_number", "This field is required."),
        (7, "listing", "Enter the listing's URL or ID."),
        (7, "reason", "Give one of the codes counterfeit, trademark_misuse, copyright_images, copyright_text, "
                      "design, patent."),
    ]
    assert result(data).groups == []  # nothing to file while any row is bad


def test_a_listing_twice_for_the_same_right_is_reported_at_its_second_row_but_not_for_another_right():
    data = csv_bytes([
        ["L-100001", "counterfeit", *UPLOAD_TRADEMARK],
        ["l-100001", "trademark_misuse", "TRADEMARK", "018234567", "euipo", "aerostride gmbh"],  # same right
        ["L-100001", "copyright_images", *UPLOAD_COPYRIGHT],  # another right: its own notice
    ])
    assert problems(data, {**UPLOAD_FIELDS, "submitter_address": "Berlin", "submitter_phone": "+49 30 1"}) == [
        (3, "listing", "This listing is already reported in row 2.")]


def test_a_missing_column_is_reported_once_on_the_header_and_no_row_is_checked():
    header = ["url", "reason", "right_type", "registration_number", "owner"]  # "url" stands for listing
    data = csv_bytes([["L-100001", "counterfeit", "trademark", "1", "Owner"]], header=header)
    assert problems(data) == [(1, "office", "The header row has no column “office”. The first row must name the "
                                            "columns: listing, reason, right_type, registration_number, office, "
                                            "owner (as in the template).")]


def test_a_column_named_twice_is_reported():
    header = ["listing", "reason", "right_type", "registration_number", "office", "owner", "Listing"]
    assert problems(csv_bytes([], header=header)) == [
        (1, "listing", "The column “listing” is there twice; keep one.")]


def test_too_many_rows_are_refused_before_any_is_checked(settings):
    settings.CSV_UPLOAD_MAX_ROWS = 100
    checked = result(csv_bytes(listing_rows(101)))
    assert [(error.row, error.message) for error in checked.errors] == [
        (None, "The file has 101 rows of listings; one file may have at most 100. Split it into several files.")]
    assert (checked.rows_checked, checked.row_count) == (0, 101)
    assert result(csv_bytes(listing_rows(100))).errors == []


def test_a_file_not_in_utf8_is_reported_at_its_first_bad_row():
    data = csv_bytes([["L-100001", "counterfeit", *UPLOAD_TRADEMARK]]) + \
        "L-100002,counterfeit,trademark,1,EUIPO,Müller GmbH\r\n".encode("latin-1")
    assert problems(data) == [(3, "", "Row 3 is not UTF-8 text. Save the file as “CSV UTF-8” (in Excel: Save as → "
                                      "CSV UTF-8; in LibreOffice: character set Unicode (UTF-8)) and upload it "
                                      "again.")]


def test_an_empty_file_and_a_header_alone_are_reported():
    assert problems(b"") == [(None, "", "The file is empty: start from the template, which has the header row and "
                                        "two example rows.")]
    assert problems(csv_bytes([])) == [(None, "", "The file has a header row but no rows of listings.")]


def test_semicolons_a_bom_blank_rows_other_columns_and_header_spelling_are_accepted():
    header = ["Listing URL", "Reason", "Right-Type", "Registration Number", "Office", "Owner", "Our reference"]
    rows = [["L-100001", "Counterfeit", "trademark", "018234567", "EUIPO", "Aerostride GmbH", "case 17"],
            ["", "", "", "", "", "", ""],
            ["L-100002", "counterfeit", "trademark", "018234567", "EUIPO", "Aerostride GmbH", "case 18"]]
    checked = result(csv_bytes(rows, delimiter=";", header=header, bom=True))
    assert checked.errors == [] and checked.row_count == 2
    assert checked.groups[0].items == [ReportedItem("L-100001", "counterfeit"), ReportedItem("L-100002", "counterfeit")]


def test_copyright_rows_need_the_dmca_contact_typed_beside_the_file():
    data = csv_bytes([["L-100001", "copyright_images", *UPLOAD_COPYRIGHT]])
    assert problems(data) == [
        (None, "submitter_address", "The file has copyright rows: give your postal address above, as a copyright "
                                    "notice must say how to reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv))."),
        (None, "submitter_phone", "The file has copyright rows: give your telephone number above, as a copyright "
                                  "notice must say how to reach you (US DMCA, 17 U.S.C. 512(c)(3)(A)(iv)).")]
    assert problems(csv_bytes(listing_rows(1))) == []  # a trademark file needs neither


def test_rows_make_one_notice_per_right_in_the_order_of_their_first_rows():
    data = csv_bytes(listing_rows(2, right=UPLOAD_TRADEMARK)
                     + [["L-100009", "design", "design", "DM/0917", "WIPO", "Aerostride GmbH"]]
                     + listing_rows(1, right=["trademark", "018234567", "EUIPO", "AEROSTRIDE GMBH"], start=5))
    groups = groups_of(data)
    assert [(group.right_type, group.registration_number, group.office, group.owner, len(group.items))
            for group in groups] == [("trademark", "018234567", "EUIPO", "Aerostride GmbH", 3),
                                     ("design", "DM/0917", "WIPO", "Aerostride GmbH", 1)]


def test_progress_is_yielded_every_chunk_of_rows():
    steps = [(checked.rows_checked, checked.row_count, checked.done)
             for checked in check_file(csv_bytes(listing_rows(1200)), UPLOAD_FIELDS)]
    assert steps == [(0, 1200, False), (500, 1200, False), (1000, 1200, False), (1200, 1200, False), (1200, 1200, True)]


def test_every_problem_is_kept_not_only_the_first(settings):
    data = csv_bytes([[f"bad {number}", "counterfeit", *UPLOAD_TRADEMARK] for number in range(700)])
    errors = result(data).errors
    assert len(errors) == 700 and [error.row for error in errors] == list(range(2, 702))


def test_groups_of_refuses_a_file_with_problems():
    with pytest.raises(ValueError):
        groups_of(csv_bytes([["nope", "counterfeit", *UPLOAD_TRADEMARK]]))
