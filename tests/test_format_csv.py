"""CSV v1 reader: columns, defaults, tolerance of spreadsheet quirks, bad values and file rejections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from ctscrub.formats import FileRejected, csv_v1, open_reader
from ctscrub.model import Claim, Finding, Payer, Severity

ROOT = Path(__file__).resolve().parents[1]
FULL_HEADER = (
    "claim_id,line,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,"
    "place_of_service,procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,"
    "billing_npi,locality,contrast,order_signed,indication,report_signed,rendering_credentials,history"
)
# Distinctive patient values: none may ever appear in a finding.
CANARIES = ("ZQCANARYLAST", "QXCANARYFIRST", "MBRCANARY77", "1951-07-19", "1951-19-07", "CANARYINDICATION",
            "CANARYHISTORY")


def read(tmp_path: Path, content: str | bytes, name: str = "claims.csv") -> tuple[list[Claim], csv_v1.Reader]:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with path.open("rb") as fh:
        reader = open_reader(fh)
        assert reader.format_name == "csv-v1"
        claims = list(reader.claims())
    return claims, reader  # type: ignore[return-value]


def rejection(tmp_path: Path, content: str | bytes) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        read(tmp_path, content)
    return info.value


def all_findings(claims: list[Claim], reader: csv_v1.Reader) -> list[Finding]:
    return [f for c in claims for f in c.reader_findings] + list(reader.file_findings)


def assert_no_patient_data(findings: list[Finding]) -> None:
    for f in findings:
        for canary in CANARIES:
            assert canary not in f.message and canary not in f.suggestion, (canary, f.message)


def full_row(**over: str) -> str:
    values = {
        "claim_id": "C1", "line": "", "member_id": "MBRCANARY77", "patient_last_name": "ZQCANARYLAST",
        "patient_first_name": "QXCANARYFIRST", "birth_date": "1951-07-19", "payer": "medicare",
        "service_date": "2026-03-02", "place_of_service": "11", "procedure_code": "71250", "modifiers": "",
        "units": "1", "charge": "400.00", "diagnosis_codes": "R91.1", "ordering_npi": "1234567893",
        "rendering_npi": "1245319599", "billing_npi": "1234567893", "locality": "13202-01", "contrast": "none",
        "order_signed": "yes", "indication": "CANARYINDICATION", "report_signed": "yes",
        "rendering_credentials": "MD", "history": "CANARYHISTORY",
    }
    values.update(over)
    return ",".join(f'"{v}"' if "," in v else v for v in (values[c] for c in FULL_HEADER.split(",")))


def full_file(*rows: str) -> str:
    return FULL_HEADER + "\n" + "\n".join(rows) + "\n"


# -- columns and defaults -----------------------------------------------------------------------------

def test_every_column_lands_in_the_model(tmp_path: Path) -> None:
    """Each CSV v1 column maps to its Claim/ServiceLine/Documentation field, normalised."""
    claims, reader = read(tmp_path, full_file(full_row(
        line="3", payer="Commercial", place_of_service="22", procedure_code=" 71260 ", modifiers="26:tc",
        units="1", charge="1,250.50", diagnosis_codes="r91.1; R05.1", contrast="IV", order_signed="Yes",
        report_signed="no", rendering_credentials="MD, FACR")))
    assert reader.file_findings == []
    (c,) = claims
    assert (c.claim_id, c.payer, c.member_id, c.patient_last_name, c.patient_first_name) == (
        "C1", Payer.COMMERCIAL, "MBRCANARY77", "ZQCANARYLAST", "QXCANARYFIRST")
    assert c.birth_date == date(1951, 7, 19)
    assert (c.billing_npi, c.locality, c.place_of_service) == ("1234567893", "13202-01", "22")
    assert c.diagnosis_codes == ("R911", "R051")
    assert c.reader_findings == []
    (ln,) = c.lines
    assert (ln.number, ln.procedure_code, ln.modifiers, ln.units, ln.charge) == (
        3, "71260", ("26", "TC"), Decimal(1), Decimal("1250.50"))
    assert (ln.service_date, ln.place_of_service, ln.diagnosis_codes) == (date(2026, 3, 2), "22", ("R911", "R051"))
    assert (ln.ordering_npi, ln.rendering_npi, ln.location) == ("1234567893", "1245319599", "row 2")
    doc = ln.documentation
    assert (doc.contrast, doc.order_signed, doc.report_signed) == ("iv", True, False)
    assert (doc.indication, doc.rendering_credentials, doc.history) == ("CANARYINDICATION", "MD, FACR",
                                                                        "CANARYHISTORY")
    assert c.documented == frozenset({"beneficiary_name", "service_date", "order", "indication", "report",
                                      "signature", "history", "contrast"})


def test_defaults_with_only_required_columns(tmp_path: Path) -> None:
    """Only claim_id and procedure_code: lines numbered in order, 1 unit, Medicare, national, nothing documented."""
    claims, _ = read(tmp_path, "claim_id,procedure_code\nA,71250\nA,71260\nB,71271\n")
    assert [c.claim_id for c in claims] == ["A", "B"]
    a = claims[0]
    assert [ln.number for ln in a.lines] == [1, 2]
    assert all(ln.units == 1 and ln.charge is None and ln.service_date is None for ln in a.lines)
    assert (a.payer, a.locality, a.documented, a.member_id, a.place_of_service) == (
        Payer.MEDICARE, None, frozenset(), None, None)
    assert a.reader_findings == [] and claims[1].reader_findings == []


def test_documented_follows_the_header_not_the_values(tmp_path: Path) -> None:
    """A documentation column present but empty still counts as documented (so DOC_* rules can fire)."""
    claims, _ = read(tmp_path, "claim_id,procedure_code,order_signed,patient_last_name\nA,71250,,\n")
    assert claims[0].documented == frozenset({"order", "beneficiary_name"})
    assert claims[0].lines[0].documentation.order_signed is None


def test_header_names_are_case_insensitive_and_trimmed(tmp_path: Path) -> None:
    """' Claim_ID ', 'PROCEDURE_CODE' and 'Units ' are the CSV v1 columns."""
    claims, reader = read(tmp_path, " Claim_ID ,PROCEDURE_CODE,Units \nA,71250,2\n")
    assert claims[0].lines[0].units == 2 and reader.file_findings == []


def test_bom_and_crlf(tmp_path: Path) -> None:
    """A UTF-8 BOM (Excel 'CSV UTF-8') and CRLF line endings read like plain UTF-8 with LF."""
    claims, _ = read(tmp_path, b"\xef\xbb\xbfclaim_id,procedure_code,service_date\r\nA,71250,2026-03-02\r\n")
    assert claims[0].claim_id == "A" and claims[0].lines[0].service_date == date(2026, 3, 2)


def test_quoted_fields_with_commas_and_line_breaks(tmp_path: Path) -> None:
    """Quoted cells keep their commas and line breaks; rows are numbered by the physical line they start on."""
    text = ('claim_id,procedure_code,indication,charge\n'
            'A,71250,"nodule, 8 mm","1,200.00"\n'
            'A,71260,"line one\nline two",10\n'
            'A,71270,x,20\n')
    claims, _ = read(tmp_path, text)
    lines = claims[0].lines
    assert lines[0].documentation.indication == "nodule, 8 mm" and lines[0].charge == Decimal("1200.00")
    assert lines[1].documentation.indication == "line one\nline two"
    assert [ln.location for ln in lines] == ["row 2", "row 3", "row 5"]


def test_modifier_separators(tmp_path: Path) -> None:
    """Modifiers split on ':' or spaces and are upper-cased; malformed ones are kept for MODIFIER_INVALID."""
    text = "claim_id,procedure_code,modifiers\nA,71250,26:tc\nA,71250, 26  59 \nA,71250,\nA,71250,26X:7\n"
    claims, _ = read(tmp_path, text)
    assert [ln.modifiers for ln in claims[0].lines] == [("26", "TC"), ("26", "59"), (), ("26X", "7")]
    assert claims[0].reader_findings == []


def test_more_than_four_modifiers_is_reported_but_kept(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, "claim_id,procedure_code,modifiers\nA,71250,26 59 76 XS GA\n")
    assert claims[0].lines[0].modifiers == ("26", "59", "76", "XS", "GA")
    (f,) = claims[0].reader_findings
    assert f.rule == "ROW_MALFORMED" and "column modifiers" in f.message and "at most 4" in f.message


def test_diagnosis_codes_with_dots_case_and_repeats(tmp_path: Path) -> None:
    """Codes lose the dot, are upper-cased, keep principal-first order; the claim gets the union in order."""
    text = "claim_id,procedure_code,diagnosis_codes\nA,71250,r91.1; R05.1 ;R91.1\nA,71260,J18.9;r911\n"
    claims, _ = read(tmp_path, text)
    assert [ln.diagnosis_codes for ln in claims[0].lines] == [("R911", "R051"), ("J189", "R911")]
    assert claims[0].diagnosis_codes == ("R911", "R051", "J189")


def test_place_of_service_single_digit_is_padded(tmp_path: Path) -> None:
    """'1' reads as '01'; a 3-digit '011' is kept as given so POS_INVALID can report it; empty inherits."""
    text = "claim_id,procedure_code,place_of_service\nA,71250,1\nA,71260,011\nA,71270,\n"
    claims, _ = read(tmp_path, text)
    assert [ln.place_of_service for ln in claims[0].lines] == ["01", "011", "01"]
    assert claims[0].place_of_service == "01"


def test_claim_values_come_from_the_first_row(tmp_path: Path) -> None:
    """Claim-level columns come from the first row; a later row that differs gets a warning (no values)."""
    text = full_file(full_row(), full_row(payer="commercial", patient_last_name="OTHERCANARYNAME"))
    claims, reader = read(tmp_path, text)
    (c,) = claims
    assert c.payer is Payer.MEDICARE and c.patient_last_name == "ZQCANARYLAST"
    msgs = [f.message for f in c.reader_findings]
    assert len(msgs) == 2 and all(f.severity is Severity.WARNING for f in c.reader_findings)
    assert "column payer differs" in msgs[0] and "column patient_last_name differs" in msgs[1]
    assert all("OTHERCANARYNAME" not in m for m in msgs)
    assert_no_patient_data(all_findings(claims, reader))


def test_same_claim_values_on_every_row_are_not_reported(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, full_file(full_row(), full_row(procedure_code="71260")))
    assert claims[0].reader_findings == []


def test_non_contiguous_claim_rows_become_separate_claims(tmp_path: Path) -> None:
    """A claim_id that reappears after another claim is a separate claim with a ROW_MALFORMED warning."""
    claims, _ = read(tmp_path, "claim_id,procedure_code\nA,71250\nB,71250\nA,71260\n")
    assert [c.claim_id for c in claims] == ["A", "B", "A"]
    assert claims[0].reader_findings == [] and claims[1].reader_findings == []
    (f,) = claims[2].reader_findings
    assert (f.rule, f.severity, f.claim_id, f.line) == ("ROW_MALFORMED", Severity.WARNING, "A", None)
    assert "not contiguous" in f.message and "row 4" in f.message


def test_blank_lines_and_trailing_empty_cells_are_accepted(tmp_path: Path) -> None:
    claims, reader = read(tmp_path, "\nclaim_id,procedure_code\n\nA,71250,,\n,\n")
    assert [ln.location for ln in claims[0].lines] == ["row 4"]
    assert claims[0].reader_findings == [] and reader.file_findings == []


def test_unknown_columns_are_reported_once(tmp_path: Path) -> None:
    """A misspelt column (modifer) is a file-level warning naming its position and the likely column,
    never quoting the cell (it could be a patient value when the header runs into the first row)."""
    claims, reader = read(tmp_path, "claim_id,procedure_code,modifer\nA,71250,26\n")
    (f,) = reader.file_findings
    assert f.severity is Severity.WARNING and "position 3 (did you mean modifiers?)" in f.message
    assert "modifer" not in f.message
    assert claims[0].lines[0].modifiers == ()


# -- bad values: line kept, field cleared, ROW_MALFORMED names row and column ------------------------------

@pytest.mark.parametrize(("column", "value", "expect"), [
    ("service_date", "03/02/2026", "YYYY-MM-DD"),
    ("service_date", "2026-02-30", "exists on the calendar"),
    ("charge", "-5.00", "cannot be negative"),
    ("charge", "1000000.01", "at most 1,000,000"),
    ("charge", "abc", "dollar amount"),
    ("charge", "NaN", "dollar amount"),
    ("charge", "1e5", "dollar amount"),
    ("charge", "4.005", "at most 2 decimals"),
    ("units", "1e999999", "1 to 999"),
    ("units", "-1", "1 to 999"),
    ("units", "0", "1 to 999"),
    ("units", "1.5", "1 to 999"),
    ("units", "1000", "1 to 999"),
    ("units", "two", "1 to 999"),
    ("payer", "medicaid", "medicare or commercial"),
    ("locality", "1320201", "MAC-locality"),
    ("contrast", "yes", "none, iv or oral"),
    ("order_signed", "maybe", "yes or no"),
    ("report_signed", "2", "yes or no"),
    ("line", "x1", "line number"),
    ("line", "0", "line number"),
])
def test_bad_value_keeps_line_and_reports(tmp_path: Path, column: str, value: str, expect: str) -> None:
    same_claim_cells = {column: value} if column in csv_v1.CLAIM_COLUMNS else {}
    claims, reader = read(tmp_path, full_file(full_row(**{column: value}), full_row(line="2", **same_claim_cells)))
    (c,) = claims
    assert len(c.lines) == 2  # the bad row is still a line
    assert len(c.reader_findings) == 1, [f.message for f in c.reader_findings]
    f = c.reader_findings[0]
    assert f.rule == "ROW_MALFORMED" and f.claim_id == "C1" and f.severity is Severity.ERROR
    assert f"Row 2, column {column}" in f.message and expect in f.message
    assert_no_patient_data(all_findings(claims, reader))


def test_bad_values_clear_only_that_field(tmp_path: Path) -> None:
    """Bad date -> None, bad charge -> None, bad units -> 1; the rest of the line is read."""
    claims, _ = read(tmp_path, full_file(full_row(service_date="2026-13-01", charge="-1", units="-3",
                                                  procedure_code="71271")))
    (ln,) = claims[0].lines
    assert (ln.service_date, ln.charge, ln.units, ln.procedure_code) == (None, None, Decimal(1), "71271")
    assert ln.diagnosis_codes == ("R911",)
    assert {f.line for f in claims[0].reader_findings} == {1}
    assert len(claims[0].reader_findings) == 3


def test_good_values_raise_nothing(tmp_path: Path) -> None:
    """Accepted spellings: $1,200.00, 2.0 units, y/N, ORAL, single-digit POS: no findings."""
    claims, reader = read(tmp_path, full_file(full_row(charge="$1,200.00", units="2.0", order_signed="y",
                                                       report_signed="N", contrast="ORAL", place_of_service="1")))
    ln = claims[0].lines[0]
    assert (ln.charge, ln.units, ln.documentation.contrast) == (Decimal("1200.00"), Decimal(2), "oral")
    assert (ln.documentation.order_signed, ln.documentation.report_signed) == (True, False)
    assert claims[0].reader_findings == [] and reader.file_findings == []


def test_bad_birth_date_is_reported_without_the_value(tmp_path: Path) -> None:
    claims, reader = read(tmp_path, full_file(full_row(birth_date="1951-19-07")))
    (f,) = claims[0].reader_findings
    assert f.message.startswith("Row 2, column birth_date is not a YYYY-MM-DD date")
    assert f.line is None and claims[0].birth_date is None
    assert_no_patient_data(all_findings(claims, reader))


def test_values_are_never_quoted_back(tmp_path: Path) -> None:
    """Messages name row, column and what was expected, never the cell: with swapped or shifted columns
    any cell may hold a birth date or member id (here the payer column holds the birth date)."""
    text = "claim_id,procedure_code,payer,units,charge\nA,71250,1951-07-19,MBRCANARY77,=HYPERLINK(1)\n"
    claims, reader = read(tmp_path, text)
    msgs = [f.message + f.suggestion for f in claims[0].reader_findings]
    assert len(msgs) == 3
    assert "Row 2, column payer is not medicare or commercial" in msgs[0]
    assert all("1951" not in m and "CANARY" not in m and "HYPERLINK" not in m for m in msgs)
    assert_no_patient_data(all_findings(claims, reader))


def test_empty_procedure_code_keeps_line(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, "claim_id,procedure_code\nA,\n")
    (ln,) = claims[0].lines
    assert ln.procedure_code == ""
    (f,) = claims[0].reader_findings
    assert "column procedure_code" in f.message and f.line == 1


def test_duplicate_line_number_is_reported(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, "claim_id,line,procedure_code\nA,1,71250\nA,1,71260\nA,2,71270\n")
    assert [ln.number for ln in claims[0].lines] == [1, 1, 2]
    (f,) = claims[0].reader_findings
    assert "Row 3, column line" in f.message and "not used earlier" in f.message


def test_row_without_claim_id_is_a_file_finding(tmp_path: Path) -> None:
    claims, reader = read(tmp_path, "claim_id,procedure_code\nA,71250\n ,71260\nB,71250\n")
    assert [c.claim_id for c in claims] == ["A", "B"]
    (f,) = reader.file_findings
    assert (f.rule, f.claim_id, f.severity) == ("ROW_MALFORMED", None, Severity.ERROR)
    assert "Row 3 has no claim_id" in f.message


def test_row_with_wrong_number_of_cells(tmp_path: Path) -> None:
    """Too few or too many (non-empty) cells: ROW_MALFORMED naming the row, the row is not read as a line."""
    text = "claim_id,procedure_code,units\nA,71250,1\nA,71260\nB,71250,1,EXTRA\nB,71260,1\n"
    claims, reader = read(tmp_path, text)
    assert [len(c.lines) for c in claims] == [1, 1]
    (fa,) = claims[0].reader_findings
    assert "Row 3 has 2 cells but the header has 3" in fa.message
    (fb,) = reader.file_findings
    assert fb.claim_id == "B" and "Row 4 has 4 cells" in fb.message


def test_patient_values_never_appear_in_any_finding(tmp_path: Path) -> None:
    """Every kind of bad value and structural problem, with canary patient data in the file."""
    rows = [full_row(), full_row(birth_date="1951-19-07", payer="x", patient_first_name="QXCANARYFIRST2"),
            full_row(claim_id="C2", units="0", member_id="MBRCANARY77"),
            full_row(claim_id="C1", contrast="MBRCANARY77"), "C3,ZQCANARYLAST,1951-07-19", full_row(claim_id="")]
    claims, reader = read(tmp_path, full_file(*rows))
    findings = all_findings(claims, reader)
    assert len(findings) >= 6
    assert_no_patient_data(findings)
    for f in findings:
        assert "QXCANARYFIRST2" not in f.message


# -- whole-file rejections -----------------------------------------------------------------------------

def test_header_without_claim_id_is_rejected(tmp_path: Path) -> None:
    """A header that mentions claim_id only as part of another name is not a CSV v1 header."""
    rej = rejection(tmp_path, "claim_identifier,procedure_code\nA,71250\n")
    assert rej.rule == "FILE_MALFORMED" and rej.where == "line 1"
    assert "missing the required column(s) claim_id" in rej.reason


def test_header_without_procedure_code_is_rejected(tmp_path: Path) -> None:
    rej = rejection(tmp_path, "claim_id,code\nA,71250\n")
    assert rej.rule == "FILE_MALFORMED" and rej.reason.endswith("procedure_code") and rej.where == "line 1"


def test_repeated_header_column_is_rejected(tmp_path: Path) -> None:
    rej = rejection(tmp_path, "claim_id,procedure_code,units,UNITS\nA,71250,1,2\n")
    assert "column units twice" in rej.reason


def test_no_header_row_is_rejected(tmp_path: Path) -> None:
    """A data row where the header should be (detection finds no claim_id column)."""
    rej = rejection(tmp_path, "A,71250,1\n")
    assert rej.rule == "FILE_MALFORMED" and "no header row" in rej.reason


def test_invalid_utf8_names_the_byte_and_line(tmp_path: Path) -> None:
    content = b"claim_id,procedure_code\nA,71250\nB,7\xff1250\n"
    rej = rejection(tmp_path, content)
    assert rej.rule == "FILE_MALFORMED" and "not valid UTF-8" in rej.reason
    pos = content.index(b"\xff")
    assert f"byte {pos}" in rej.reason and "line 3" in rej.reason


def test_invalid_utf8_far_into_the_file(tmp_path: Path) -> None:
    """The byte offset is exact past the detection head and across read chunks."""
    body = b"claim_id,procedure_code\n" + b"A,71250\n" * 20_000
    content = body + b"B,\xe9\n"
    rej = rejection(tmp_path, content)
    assert f"byte {len(body) + 2:,}" in rej.reason and "line 20002" in rej.reason


def test_line_over_one_megabyte_is_rejected(tmp_path: Path) -> None:
    content = b"claim_id,procedure_code,indication\nA,71250," + b"x" * (csv_v1.LINE_LIMIT + 10) + b"\n"
    rej = rejection(tmp_path, content)
    assert rej.rule == "FILE_MALFORMED" and "line 2 is too long" in rej.reason


def test_line_just_under_the_limit_is_not_rejected_by_the_line_guard(tmp_path: Path) -> None:
    """A 100 KB cell is fine (below both the 1 MB line guard and csv's 128 KB field limit)."""
    claims, _ = read(tmp_path, b"claim_id,procedure_code,history\nA,71250," + b"x" * 100_000 + b"\n")
    assert len(claims[0].lines[0].documentation.history or "") == 100_000


def test_huge_quoted_cell_is_rejected_not_buffered(tmp_path: Path) -> None:
    """An unclosed quote swallowing the rest of the file stops at csv's field limit with a reason."""
    content = b'claim_id,procedure_code,history\nA,71250,"' + b"abc\n" * 50_000
    rej = rejection(tmp_path, content)
    assert rej.rule == "FILE_MALFORMED" and "cannot be read as CSV" in rej.reason


def test_nul_bytes_are_rejected(tmp_path: Path) -> None:
    content = b"claim_id,procedure_code\n" + b"A,71250\n" * 1000 + b"B,71\x0050\n"
    rej = rejection(tmp_path, content)
    assert rej.rule == "FILE_MALFORMED" and "NUL" in rej.reason and "line 1002" in rej.reason


# -- the sample files ---------------------------------------------------------------------------------

SAMPLES = ("office_diagnostic.csv", "hospital_outpatient.csv", "lung_screening.csv")


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_read_cleanly(name: str) -> None:
    """The format samples read without reader findings (rule-by-rule samples may still trigger rules)."""
    sample = ROOT / "samples" / "csv" / name
    with sample.open("rb") as fh:
        reader = open_reader(fh)
        claims = list(reader.claims())
    assert claims and reader.file_findings == []
    assert all(c.lines and c.reader_findings == [] for c in claims)


def test_unclosed_quote_names_the_swallowed_lines(tmp_path: Path) -> None:
    """An open quote that eats the following rows says which lines were lost, not just a cell count."""
    text = full_file(full_row(), full_row(claim_id="C2", charge='"400'), full_row(claim_id="C3"),
                     full_row(claim_id="C4"))
    claims, reader = read(tmp_path, text)
    assert [c.claim_id for c in claims] == ["C1"]
    (f,) = reader.file_findings
    assert "Row 3 has" in f.message and "lines 4-5 were read as part of that cell" in f.message
    assert_no_patient_data([f])


def test_open_quote_in_the_last_column_is_reported(tmp_path: Path) -> None:
    """Same width but rows swallowed into the last cell: the line is kept and the loss reported."""
    text = full_file(full_row(history='"open'), full_row(claim_id="C2"), full_row(claim_id="C3"))
    claims, _ = read(tmp_path, text)
    assert [c.claim_id for c in claims] == ["C1"]
    (f,) = claims[0].reader_findings
    assert "lines 3-4 were read as part of that cell" in f.message and f.line == 1


def test_multi_line_text_cell_is_not_mistaken_for_swallowed_rows(tmp_path: Path) -> None:
    text = full_file(full_row(history='smoker, 30 pack-years,\nquit 2015, stable'), full_row(claim_id="C2"))
    claims, _ = read(tmp_path, text)
    assert [c.claim_id for c in claims] == ["C1", "C2"] and claims[0].reader_findings == []
