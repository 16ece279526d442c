"""ReportSink as a pipeline sink: the three files, bounded memory, and no patient data in any output."""

from __future__ import annotations

import csv
import io
import json
import sys
import types
from datetime import date
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

import pytest
from ctscrub.model import ClaimResult, Finding, LinePrice, Payer
from ctscrub.pipeline import UploadSummary
from ctscrub.report import CONTENT_TYPES, REPORT_FILES, ReportSink, write_reports
from ctscrub.report.csv_findings import FINDING_FIELDS
from ctscrub.rules import finding
from ctscrub.rules.catalog import RULES


def _result(cid: str, *rules: str) -> ClaimResult:
    fs = [Finding(r, RULES[r].severity, cid, 1, "71250", f"{RULES[r].title}.", "Fix it.", RULES[r].source)
          for r in rules]
    return ClaimResult(cid, fs, [LinePrice(cid, 1, "71250", (), Decimal("131.00"), "PFS", "t")], 1, 1,
                       Payer.MEDICARE)


def _feed(sink: ReportSink, results: list[ClaimResult]) -> UploadSummary:
    """Drive the sink as ``pipeline.scrub`` does, with the same accounting."""
    s = UploadSummary(upload_id="u-9", source="in/claims.csv", format="csv-v1")
    for r in results:
        s.claims += 1
        s.lines += r.line_count
        s.chest_ct_lines += r.chest_ct_line_count
        s.claims_with_errors += 1 if r.error_count else 0
        for f in r.findings:
            s.by_severity[f.severity.value] += 1
            s.by_rule[f.rule] += 1
        s.expected_allowed += sum((p.allowed for p in r.prices if p.allowed is not None), Decimal(0))
        s.amount_at_stake += r.amount_at_stake()
        sink.claim(r)
    s.file_findings.append(finding("REFDATA_MISSING", None, None, "No MUE file covers 2026Q4.", "Import it."))
    s.by_severity["info"] += 1
    s.by_rule["REFDATA_MISSING"] += 1
    sink.finish(s)
    return s


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_outputs_are_the_three_report_files_and_agree() -> None:
    sink = ReportSink(clock=lambda: "2026-05-01T00:00:00Z")
    s = _feed(sink, [_result("C1", "DX_MISSING"), _result("C2"), _result("C3", "DX_NOT_SUPPORTING", "NPI_INVALID")])
    out = sink.outputs()
    assert set(out) == set(REPORT_FILES) == set(CONTENT_TYPES)
    doc = json.loads(out["summary.json"])
    assert doc["claims"] == 3 and doc["by_severity"] == {"error": 2, "warning": 1, "info": 1}
    assert doc["processed_at"] == "2026-05-01T00:00:00Z"
    assert doc["expected_allowed"] == str(s.expected_allowed) == "393.00"
    rows = _csv_rows(out["findings.csv"])
    assert [r["rule"] for r in rows] == ["DX_MISSING", "DX_NOT_SUPPORTING", "NPI_INVALID", "REFDATA_MISSING"]
    assert list(rows[0]) == list(FINDING_FIELDS)
    assert sink.finding_rows == 4 == doc["findings"]
    assert b'data-metric="claims">3<' in out["report.html"]
    sink.close()


def test_context_manager_deletes_the_temporary_csv() -> None:
    with ReportSink() as sink:
        sink.claim(_result("C1", "DX_MISSING"))
        tmp = sink._csv._file
        assert not tmp.closed
    assert tmp.closed


def test_results_before_finish_are_refused() -> None:
    sink = ReportSink()
    sink.claim(_result("C1", "DX_MISSING"))
    with pytest.raises(RuntimeError, match="finish"):
        sink.html()
    sink.close()


def test_memory_is_bounded_claims_listed_capped_and_findings_streamed_to_disk() -> None:
    sink = ReportSink(max_claims=25)
    _feed(sink, [_result(f"C{i}", "DX_MISSING", "DX_NOT_SUPPORTING") for i in range(2000)])
    doc = sink.summary_doc()
    assert doc["claims_listed"] == 25 and doc["claims_not_listed"] == 1975
    assert len(sink._table._heap) == 25
    assert sink._csv._file.tell() > 100_000  # rows live in the temporary file, not in memory
    assert len(_csv_rows(sink.findings_csv())) == 4001
    assert "1,975" in sink.html()
    sink.close()


def test_rejected_upload_report_has_the_rejection_row_first_of_file_level() -> None:
    sink = ReportSink()
    s = UploadSummary(upload_id="u", source="x.zip", status="rejected")
    s.rejection = finding("FILE_UNSUPPORTED_FORMAT", None, None, "The upload cannot be processed: zip.",
                          "Upload it uncompressed.")
    s.by_severity["error"] += 1
    s.by_rule["FILE_UNSUPPORTED_FORMAT"] += 1
    sink.finish(s)
    rows = _csv_rows(sink.findings_csv())
    assert [r["rule"] for r in rows] == ["FILE_UNSUPPORTED_FORMAT"]
    assert json.loads(sink.summary_json())["status"] == "rejected"
    sink.close()


def test_write_reports_matches_the_streaming_sink() -> None:
    results = [_result("C1", "DX_MISSING"), _result("=C2", "DX_NOT_SUPPORTING")]
    sink = ReportSink(clock=lambda: "t")
    s = _feed(sink, results)
    direct = write_reports(s, results, processed_at="t")
    assert direct == sink.outputs()
    assert "'=C2" in direct["findings.csv"].decode("utf-8-sig")  # escaped in the CSV
    assert write_reports(s.to_dict(), results, processed_at="t") == direct
    sink.close()


# -- end to end through the pipeline, with canary patient data in the input --

CANARIES = ("ZQXCANARYLAST", "QWCANARYFIRST", "1962-07-14", "07/14/1962", "19620714", "9ZZ9CANARY99")
CSV_INPUT = (
    "claim_id,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,place_of_service,"
    "procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,billing_npi\n"
    "PCN1,9ZZ9CANARY99,ZQXCANARYLAST,QWCANARYFIRST,1962-07-14,medicare,2026-03-02,11,71250,,1,400.00,R91.1,"
    "1234567893,1234567893,1234567893\n"
    "PCN1,9ZZ9CANARY99,ZQXCANARYLAST,QWCANARYFIRST,1962-07-14,medicare,2026-03-02,11,71260,,1,450.00,R91.1,"
    "1234567893,1234567893,1234567893\n"
    "PCN2,9ZZ9CANARY99,ZQXCANARYLAST,QWCANARYFIRST,1962-07-14,medicare,2026-03-02,11,71271,,1,300.00,,"
    ",1234567890,1234567893\n"
)


def _pipeline_refdata(monkeypatch: pytest.MonkeyPatch) -> object:
    """The bundled reference data and pricing when present; else the fake data and no prices."""
    if find_spec("ctscrub.formats.csv_v1") is None:
        pytest.skip("the CSV v1 reader is not there yet")
    if find_spec("ctscrub.payment") is None:
        stub = types.ModuleType("ctscrub.payment")
        stub.price_claim = lambda claim, refdata, ctx: []  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "ctscrub.payment", stub)
    try:
        from ctscrub.refdata import load_reference_data

        return load_reference_data()
    except Exception:  # the loader is being written in parallel: the rules only need its interface
        sys.path.insert(0, str(Path(__file__).parent))
        from fakes import FakeReferenceData

        return FakeReferenceData()


def test_patient_data_never_reaches_any_report_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from ctscrub.pipeline import ScrubOptions, scrub

    refdata = _pipeline_refdata(monkeypatch)
    sink = ReportSink()
    summary = scrub(io.BytesIO(CSV_INPUT.encode()), ScrubOptions(as_of=date(2026, 4, 1), refdata=refdata),  # type: ignore[arg-type]
                    [sink], upload_id="u-canary", source_name="canary.csv")
    assert summary.status == "processed" and summary.claims == 2
    out = sink.outputs()
    assert json.loads(out["summary.json"])["findings"] == sink.finding_rows > 0  # rules did run
    for name, data in out.items():
        text = data.decode("utf-8-sig")
        for canary in CANARIES:
            assert canary.lower() not in text.lower(), f"{canary} leaked into {name}"
    assert "PCN1" in out["findings.csv"].decode("utf-8-sig")  # claim ids are shown
    sink.close()
