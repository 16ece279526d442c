"""Reference data through the pipeline: prices on every chest CT line, one REFDATA_MISSING note per gap."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import ENV_DIR, load_reference_data

HEADER = ("claim_id,line,member_id,birth_date,payer,service_date,place_of_service,procedure_code,modifiers,units,"
          "charge,diagnosis_codes,ordering_npi,rendering_npi,billing_npi,locality\n")


def _run(rows: str) -> CollectingSink:
    sink = CollectingSink()
    opts = ScrubOptions(as_of=date(2026, 6, 1), refdata=load_reference_data())
    scrub(io.BytesIO((HEADER + rows).encode()), opts, [sink], upload_id="u1", source_name="t.csv")
    return sink


@pytest.fixture(autouse=True)
def _bundled_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DIR, raising=False)


def test_every_chest_ct_line_carries_its_expected_allowed_amount() -> None:
    sink = _run("A1,1,M1,1956-04-12,medicare,2026-03-02,11,71250,,1,425.00,R91.1,1245319599,1234567893,"
                "1234567893,13202-01\n"
                "A1,2,M1,1956-04-12,medicare,2026-03-02,11,99213,,1,90.00,R91.1,1245319599,1234567893,"
                "1234567893,13202-01\n")
    (result,) = sink.results
    assert [(p.line, p.allowed) for p in result.prices] == [(1, Decimal("151.64"))]
    assert sink.summary is not None and sink.summary.expected_allowed == Decimal("151.64")


def test_dates_before_the_bundled_icd10_year_give_one_refdata_missing_note_per_upload() -> None:
    row = ("B{n},1,M{n},1956-04-12,medicare,2025-09-{d},11,71250,,1,425.00,R91.1,1245319599,1234567893,"
           "1234567893,\n")
    sink = _run(row.format(n=1, d="15") + row.format(n=2, d="30"))
    notes = [f for f in sink.all_findings() if f.rule == "REFDATA_MISSING"]
    assert len(notes) == 1 and "FY2025 (2024-10-01 to 2025-09-30)" in notes[0].message
    assert not [f for f in sink.all_findings() if f.rule == "DX_INVALID"]
    assert [p.allowed for r in sink.results for p in r.prices] == [Decimal("131.00"), Decimal("131.00")]


def test_no_note_when_every_date_is_covered() -> None:
    sink = _run("C1,1,M1,1956-04-12,medicare,2026-03-02,11,71250,,1,425.00,R91.1,1245319599,1234567893,"
                "1234567893,\n")
    assert not [f for f in sink.all_findings() if f.rule == "REFDATA_MISSING"]


def test_charge_below_allowed_is_raised_through_the_pipeline() -> None:
    sink = _run("D1,1,M1,1956-04-12,medicare,2026-03-02,11,71250,,1,100.00,R91.1,1245319599,1234567893,"
                "1234567893,13202-01\n")
    hits = [f for f in sink.all_findings() if f.rule == "CHARGE_BELOW_ALLOWED"]
    assert [(f.line, f.amount_at_stake) for f in hits] == [(1, Decimal("51.64"))]
