"""The findings CSV: formula-injection escaping, streaming to a temporary file, and the columns."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from ctscrub.model import Finding, Severity
from ctscrub.report.csv_findings import FINDING_FIELDS, FindingsCsvWriter, escape_cell, finding_row, findings_csv


def _finding(claim_id: str = "C1", message: str = "Line 1 has no diagnosis code.", **kw: object) -> Finding:
    base: dict[str, object] = dict(rule="DX_MISSING", severity=Severity.ERROR, claim_id=claim_id, line=1,
                                   code="71250", message=message, suggestion="Add the diagnosis.",
                                   source="Pub 100-04 ch. 26", amount_at_stake=Decimal("131.00"))
    base.update(kw)
    return Finding(**base)  # type: ignore[arg-type]


def _parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", "＝1+1",
                                  '=HYPERLINK("http://x","y")'])
def test_cells_a_spreadsheet_would_evaluate_get_a_leading_quote(cell: str) -> None:
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "71250", "C-1", "Bill 71270 = one study", " =1", "'quoted", "131.00"])
def test_ordinary_cells_are_unchanged(cell: str) -> None:
    assert escape_cell(cell) == cell


def test_finding_row_escapes_hostile_claim_id_and_keeps_column_order() -> None:
    row = finding_row(_finding(claim_id="=cmd|' /C calc'!A0"))
    assert row[FINDING_FIELDS.index("claim_id")] == "'=cmd|' /C calc'!A0"
    assert row[FINDING_FIELDS.index("rule")] == "DX_MISSING"
    assert row[FINDING_FIELDS.index("amount_at_stake")] == "131.00"
    assert row[FINDING_FIELDS.index("dataset")] == ""  # None becomes an empty cell


def test_finding_row_accepts_to_dict_output() -> None:
    f = _finding(claim_id="+C9")
    assert finding_row(f.to_dict()) == finding_row(f)


def test_writer_streams_rows_to_a_temporary_file_with_header_and_bom() -> None:
    w = FindingsCsvWriter()
    try:
        w.write([_finding(claim_id=f"C{i}") for i in range(3)])
        w.write([_finding(claim_id="@evil", message="-5 units billed")])
        data = w.getvalue()
        assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
        rows = _parse(data)
        assert rows[0] == list(FINDING_FIELDS)
        assert [r[2] for r in rows[1:]] == ["C0", "C1", "C2", "'@evil"]
        assert rows[-1][FINDING_FIELDS.index("message")] == "'-5 units billed"
        assert w.rows == 4
        w.write([_finding(claim_id="C4")])  # writing after a read appends
        assert [r[2] for r in _parse(w.getvalue())][-2:] == ["'@evil", "C4"]
        assert w.open().read(3) == b"\xef\xbb\xbf"  # open() rewinds for upload_fileobj
    finally:
        w.close()


def test_writer_with_no_findings_has_only_the_header() -> None:
    w = FindingsCsvWriter()
    assert _parse(w.getvalue()) == [list(FINDING_FIELDS)]
    w.close()


def test_in_memory_csv_matches_streamed_csv() -> None:
    fs = [_finding(claim_id="C1"), _finding(claim_id="=C2", message="non-ASCII § text")]
    w = FindingsCsvWriter()
    w.write(fs)
    assert findings_csv(fs) == w.getvalue()
    w.close()
