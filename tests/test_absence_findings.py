"""Findings that a line's partner is missing wait for the upload's later claims (ctscrub.absence_findings).

REPEAT_WITHOUT_ORIGINAL and DISTINCT_WITHOUT_PAIR say that no line of the patient that date is the first
study (76/77) or another procedure (59/X{EPSU}). The pipeline streams, so a claim is checked against the
earlier claims only; its result waits until the later claims of its patient-days have been read (or the
patient-day leaves the same-patient window), and the finding is dropped when one of them is the partner.
"""

from __future__ import annotations

import io
from datetime import date

import ctscrub.pipeline as pipeline
import pytest
from ctscrub.absence_findings import HeldResults
from ctscrub.model import ClaimResult, Finding, Payer, ServiceLine, Severity
from ctscrub.pipeline import CollectingSink, ScrubOptions, UploadSummary, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.screening_history import InMemoryScreeningHistory

HEADER = ("claim_id,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,place_of_service,"
          "procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,billing_npi\n")


def row(claim_id: str, member: str, dos: str, code: str, mods: str = "") -> str:
    return (f"{claim_id},{member},SAMPLE,ALEX,1956-04-12,medicare,{dos},11,{code},{mods},1,425.00,R91.1,"
            "1245319599,1234567893,1234567893\n")


class ArrivalOrder:
    """The claim ids in the order the sinks receive them."""

    def __init__(self) -> None:
        self.claim_ids: list[str] = []

    def claim(self, result: ClaimResult) -> None:
        self.claim_ids.append(result.claim_id)

    def finish(self, summary: UploadSummary) -> None:
        pass


ARRIVALS: list[str] = []


def run(text: str) -> tuple[CollectingSink, UploadSummary]:
    sink, arrivals = CollectingSink(), ArrivalOrder()
    options = ScrubOptions(as_of=date(2026, 7, 15), refdata=load_reference_data(),
                           screening_history=InMemoryScreeningHistory())
    summary = scrub(io.BytesIO((HEADER + text).encode()), options, [sink, arrivals], upload_id="u",
                    source_name="f.csv")
    ARRIVALS[:] = arrivals.claim_ids
    return sink, summary


def rules_of(sink: CollectingSink, claim_id: str) -> list[str]:
    return [f.rule for r in sink.results if r.claim_id == claim_id for f in r.findings]


def test_a_repeat_whose_original_is_on_a_later_claim_is_not_reported_and_the_counts_agree() -> None:
    sink, summary = run(row("A", "M1", "2026-06-15", "71250", "76") + row("B", "M1", "2026-06-15", "71250"))
    assert "REPEAT_WITHOUT_ORIGINAL" not in rules_of(sink, "A")
    assert ARRIVALS == ["B", "A"]  # A waited for the end of the upload
    assert [r.claim_id for r in sink.results] == ["A", "B"]  # the CLI's collector puts them back in file order
    assert summary.claims == 2 and summary.lines == 2
    assert "REPEAT_WITHOUT_ORIGINAL" not in summary.by_rule
    assert summary.finding_count == sum(len(r.findings) for r in sink.results)


def test_a_repeat_without_any_original_is_still_reported_once_the_upload_is_read() -> None:
    sink, summary = run(row("A", "M1", "2026-06-15", "71250", "76") + row("B", "M2", "2026-06-15", "71250")
                        + row("C", "M1", "2026-06-16", "71250"))
    assert rules_of(sink, "A").count("REPEAT_WITHOUT_ORIGINAL") == 1
    assert summary.by_rule["REPEAT_WITHOUT_ORIGINAL"] == 1
    assert summary.claims_with_errors == sum(1 for r in sink.results if r.error_count)


def test_a_distinct_service_whose_other_procedure_is_on_a_later_claim_is_not_reported() -> None:
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "XS") + row("B", "M1", "2026-06-15", "71046"))
    assert "DISTINCT_WITHOUT_PAIR" not in rules_of(sink, "A")


def findings_of(sink: CollectingSink, claim_id: str, rule: str) -> list[Finding]:
    return [f for r in sink.results if r.claim_id == claim_id for f in r.findings if f.rule == rule]


def test_a_later_claim_of_the_same_code_is_no_pair_for_a_distinct_service_and_the_advice_becomes_76_77() -> None:
    """59 marks a different procedure: a later line of the same code leaves the finding standing. The line
    is then a repeat of that code, so the fix is 76/77, not removing 59 (as when the repeat comes first)."""
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "59") + row("B", "M1", "2026-06-15", "71250"))
    [f] = findings_of(sink, "A", "DISTINCT_WITHOUT_PAIR")
    assert f.message.startswith("Line 1 uses 59 on a repeat of 71250 (line 1 of claim B bills the same code")
    assert f.suggestion.startswith("Replace 59 with 76 (same physician) or 77 (another physician) on line 1")
    # the same advice as when the same-code line comes first, on an earlier claim
    sink, _ = run(row("B", "M1", "2026-06-15", "71250") + row("A", "M1", "2026-06-15", "71250", "59"))
    [g] = findings_of(sink, "A", "DISTINCT_WITHOUT_PAIR")
    assert g.suggestion.split(" on ")[0] == f.suggestion.split(" on ")[0]


def test_a_distinct_service_alone_on_its_date_keeps_the_advice_to_remove_the_modifier() -> None:
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "XS") + row("B", "M2", "2026-06-15", "71250")
                  + row("C", "M1", "2026-06-16", "71250"))
    [f] = findings_of(sink, "A", "DISTINCT_WITHOUT_PAIR")
    assert "no other procedure is billed for this patient on 2026-06-15" in f.message
    assert f.suggestion.startswith("Remove XS from line 1")


def test_a_later_other_procedure_clears_a_distinct_service_even_after_a_later_repeat() -> None:
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "59") + row("B", "M1", "2026-06-15", "71250")
                  + row("C", "M1", "2026-06-15", "71046"))
    assert findings_of(sink, "A", "DISTINCT_WITHOUT_PAIR") == []


def test_a_held_result_goes_out_when_its_patient_day_leaves_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window bounds what later claims are compared with: once A's patient-day is out of it, A is settled
    on what was read so far, sent on, and an original further on is not compared (as for every cross-claim
    rule)."""
    monkeypatch.setattr(pipeline, "PATIENT_DAY_WINDOW", 2)
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "76") + row("B", "M2", "2026-06-15", "71046")
                  + row("C", "M3", "2026-06-15", "71046") + row("D", "M1", "2026-06-15", "71250"))
    assert ARRIVALS == ["B", "A", "C", "D"]  # A went out when C's patient-day pushed A's out of the window
    assert "REPEAT_WITHOUT_ORIGINAL" in rules_of(sink, "A")


def test_a_result_with_lines_on_two_dates_waits_for_both() -> None:
    sink, _ = run(row("A", "M1", "2026-06-15", "71250", "76") + row("A", "M1", "2026-06-16", "71250", "XS")
                  + row("B", "M1", "2026-06-16", "71046") + row("C", "M1", "2026-06-15", "71250"))
    assert rules_of(sink, "A").count("REPEAT_WITHOUT_ORIGINAL") == 0
    assert rules_of(sink, "A").count("DISTINCT_WITHOUT_PAIR") == 0


def _finding(rule: str, line: int, code: str) -> Finding:
    return Finding(rule, Severity.ERROR, "claim", line, code, "message", "suggestion", "source")


def _line(number: int, code: str) -> ServiceLine:
    return ServiceLine(number, code, ("76",), service_date=date(2026, 6, 15))


def _result(claim_id: str, *findings: Finding) -> ClaimResult:
    return ClaimResult(claim_id, list(findings), [], 1, 1, Payer.MEDICARE)


def test_held_results_stay_within_their_bound_settling_the_oldest_early() -> None:
    held = HeldResults(max_held=2)
    dos = date(2026, 6, 15)
    index: dict[tuple[int, date], list[tuple[object, ...]]] = {}
    out: list[ClaimResult] = []
    for patient in range(5):
        index[(patient, dos)] = [("c", 1, "71250", ("76",), 1, None)]
        is_held, early = held.hold(_result(f"c{patient}", _finding("REPEAT_WITHOUT_ORIGINAL", 1, "71250")),
                                   patient, {dos: [_line(1, "71250")]}, index)
        assert is_held
        out += early
        assert len(held) <= 2
    assert [r.claim_id for r in out] == ["c0", "c1", "c2"]
    index[(4, dos)].append(("d", 1, "71250", (), 1, None))  # the original of c4 comes later
    rest = held.release_all(index)
    assert [r.claim_id for r in rest] == ["c3", "c4"]
    assert [f.rule for f in rest[0].findings] == ["REPEAT_WITHOUT_ORIGINAL"] and rest[1].findings == []
    assert len(held) == 0


def test_a_result_without_an_absence_finding_or_out_of_the_window_is_not_held() -> None:
    held = HeldResults()
    dos = date(2026, 6, 15)
    other = _result("a", _finding("DUPLICATE_LINE", 1, "71250"))
    assert held.hold(other, 1, {dos: [_line(1, "71250")]}, {(1, dos): []}) == (False, [])
    gone = _result("b", _finding("REPEAT_WITHOUT_ORIGINAL", 1, "71250"))
    assert held.hold(gone, 1, {dos: [_line(1, "71250")]}, {}) == (False, [])
    assert len(held) == 0


def test_results_settled_by_the_window_are_not_kept() -> None:
    """Settled results go to the sinks and out of the holder's memory: over 1,000 claims held and settled
    one after another, the holder keeps a handful, not 1,000 (memory flat in file size)."""
    held = HeldResults()
    index: dict[tuple[int, date], list[tuple[object, ...]]] = {}
    dos = date(2026, 6, 15)
    released = 0
    for patient in range(1_000):
        index[(patient, dos)] = [("c", 1, "71250", ("76",), 1, None)]
        assert held.hold(_result(f"c{patient}", _finding("REPEAT_WITHOUT_ORIGINAL", 1, "71250")),
                         patient, {dos: [_line(1, "71250")]}, index)[0]
        if patient >= 3:  # a window of 3 patient-days
            key = (patient - 3, dos)
            released += len(held.release(key, index.pop(key)))
    assert released == 997 and len(held) == 3
    assert len(held._queue) <= 4 and len(held._by_key) == 3
    assert [r.claim_id for r in held.release_all(index)] == ["c997", "c998", "c999"]
