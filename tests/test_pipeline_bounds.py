"""Bounds that keep hostile files linear: lines per claim, lines per patient-day, and the screen's day memo.

Lines of one claim, and lines of one patient and date, are compared with each other. Before these bounds a
CSV claim of 4,000 lines took 30 s and 1.9 GB, and 8,000 one-line claims of one patient-day 19 s and
294 MB (measured with ``ctscrub validate`` on 2026-11-28); with them, 1.4 s / 150 MB and 1.7 s / 46 MB.
"""

from __future__ import annotations

import io
from datetime import date

import ctscrub.pipeline as pipeline
import pytest
from claimfactory import claim, line
from ctscrub.pipeline import MAX_LINES_PER_CLAIM, CollectingSink, ScrubOptions, UploadSummary, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.rules.facts import ClaimFacts
from ctscrub.rules.registry import RuleContext
from ctscrub.rules.screen import _same_day_bits
from ctscrub.screening_history import InMemoryScreeningHistory
from x12_fixtures import bench_interchange, render

HEADER = ("claim_id,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,place_of_service,"
          "procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,billing_npi\n")


def row(claim_id: str, code: str, member: str = "M1") -> str:
    return (f"{claim_id},{member},SAMPLE,ALEX,1956-04-12,medicare,2026-06-15,11,{code},,1,425.00,R91.1,"
            "1245319599,1234567893,1234567893\n")


def run(data: bytes) -> tuple[CollectingSink, UploadSummary]:
    sink = CollectingSink()
    options = ScrubOptions(as_of=date(2026, 7, 15), refdata=load_reference_data(),
                           screening_history=InMemoryScreeningHistory())
    summary = scrub(io.BytesIO(data), options, [sink], upload_id="u", source_name="f")
    return sink, summary


def test_a_csv_claim_longer_than_the_bound_is_checked_up_to_it_and_says_so() -> None:
    n = MAX_LINES_PER_CLAIM + 201
    sink, summary = run((HEADER + "".join(row("BIG", "71046") for _ in range(n))).encode())
    [result] = sink.results
    assert result.line_count == MAX_LINES_PER_CLAIM
    cut = [f for f in result.findings if f.rule == "ROW_MALFORMED" and f.line is None]
    assert len(cut) == 1
    assert f"{n:,} service lines" in cut[0].message and "first 999" in cut[0].message
    assert "50 service lines" in cut[0].suggestion
    assert summary.status == "processed"


def test_an_837p_claim_longer_than_the_bound_is_cut_without_a_false_total_mismatch() -> None:
    interchange = bench_interchange(1, lines_per_claim=MAX_LINES_PER_CLAIM + 1)
    sink, _ = run(render(interchange))
    [result] = sink.results
    rules = [f.rule for f in result.findings]
    assert rules.count("X12_CLAIM_MALFORMED") == 1
    assert "CHARGE_TOTAL_MISMATCH" not in rules  # CLM02 covers lines that were not checked
    assert result.line_count == MAX_LINES_PER_CLAIM


def test_a_claim_at_the_bound_is_not_cut() -> None:
    sink, _ = run((HEADER + "".join(row("FULL", "71046") for _ in range(MAX_LINES_PER_CLAIM))).encode())
    assert not any(f.rule == "ROW_MALFORMED" for f in sink.results[0].findings)


def test_later_claims_are_compared_with_the_first_lines_of_a_patient_day_only(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With room for two lines per patient-day, C's 71250 is not kept, so D's 71250 is not its duplicate;
    with the default room it is."""
    text = HEADER + row("A", "71046") + row("B", "71046") + row("C", "71250") + row("D", "71250")
    sink, _ = run(text.encode())
    assert any(f.rule == "DUPLICATE_LINE" for r in sink.results if r.claim_id == "D" for f in r.findings)
    monkeypatch.setattr(pipeline, "MAX_LINES_PER_PATIENT_DAY", 2)
    sink, _ = run(text.encode())
    assert not any(f.rule == "DUPLICATE_LINE" for r in sink.results if r.claim_id == "D" for f in r.findings)


def test_the_day_memo_keys_on_at_most_two_of_each_code() -> None:
    """Only whether a code is billed once or more than once that day matters to the same-day triggers, so
    a day of 1,000 earlier lines keys the memo on a few codes, and answers as a day of two."""
    dos = date(2026, 6, 15)
    answers = []
    for earlier in (1, 1_000):
        ctx = RuleContext(as_of=date(2026, 7, 15), refdata=load_reference_data().for_upload())
        c = claim(line(1, "71250", dos=dos), line(2, "71260", dos=dos))
        facts = ClaimFacts(c, ctx)
        ctx.patient_day_lines[(facts.patient, dos)] = [("X", i, "71250", (), 1, None) for i in range(earlier)]
        answers.append(_same_day_bits(facts, dos, "class", ctx))
        day_keys = [k for k in ctx.memo if isinstance(k, tuple) and k[:1] == ("day",)]
        assert [len(k[1]) for k in day_keys] == [3]  # 71250 twice, 71260 once
    assert answers[0] == answers[1]
