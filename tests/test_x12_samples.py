"""The repo's own 837P samples (samples/x12, from scripts/gen_x12_samples.py) raise the rules they were written for.

Rule families land in parallel, so a rule id is asserted only once some registered rule declares it;
reader-level ids (X12_*, FILE_*) are always asserted. Expectations assume the as-of date 2026-11-28.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT
from ctscrub.formats import FileRejected, open_reader
from ctscrub.model import Finding
from ctscrub.pipeline import CollectingSink, ScrubOptions
from ctscrub.pipeline import scrub as scrub_upload
from ctscrub.refdata import load_reference_data
from ctscrub.rules import all_rules
from ctscrub.rules.registry import registered
from ctscrub.screening_history import InMemoryScreeningHistory

AS_OF = date(2026, 11, 28)
READER_RULES = {"X12_ENVELOPE", "X12_CLAIM_MALFORMED", "FILE_UNSUPPORTED_FORMAT", "FILE_MALFORMED"}


def _load_generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("gen_x12_samples", ROOT / "scripts" / "gen_x12_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
SAMPLE_DIR: Path = GEN.OUT


def implemented_rule_ids() -> set[str]:
    all_rules()
    return {rid for ids, _fn in registered() for rid in ids}


def scrub(data: bytes) -> tuple[list[Finding], int, int]:
    """Run the whole pipeline (real reference data, in-memory screening history) on one sample.

    Returns every finding (rejection, file and claim level), the number of claims and of service lines.
    """
    options = ScrubOptions(as_of=AS_OF, refdata=load_reference_data(), screening_history=InMemoryScreeningHistory())
    sink = CollectingSink()
    summary = scrub_upload(io.BytesIO(data), options, [sink], upload_id="sample", source_name="sample")
    return sink.all_findings(), summary.claims, summary.lines


def test_samples_on_disk_match_the_generator() -> None:
    """The committed samples are exactly what scripts/gen_x12_samples.py writes (no hand edits, no drift)."""
    generated = GEN.generate()
    on_disk = {p.name for p in SAMPLE_DIR.glob("*.txt")}
    assert on_disk == set(generated)
    for name, data in generated.items():
        assert (SAMPLE_DIR / name).read_bytes() == data, name


def test_every_rule_an_837_can_carry_has_a_sample() -> None:
    """Every catalog rule has a sample except those an 837 cannot carry (documentation items, CSV rows)."""
    from ctscrub.rules.catalog import RULES

    not_in_837 = {"CONTRAST_MISMATCH", "DOC_ORDER", "DOC_INDICATION", "DOC_REPORT", "DOC_SIGNATURE", "DOC_HISTORY",
                  "ROW_MALFORMED"}
    covered = {rid for rules, _make in GEN.SAMPLES.values() for rid in rules}
    assert set(RULES) - not_in_837 - covered == set()


REJECTS = [n for n in GEN.SAMPLES if n.startswith("reject_")]
CHECKED = [n for n in GEN.SAMPLES if not n.startswith("reject_")]


@pytest.mark.parametrize("stem", REJECTS)
def test_reject_samples_are_rejected_with_their_rule(stem: str) -> None:
    [expected] = GEN.SAMPLES[stem][0]
    with pytest.raises(FileRejected) as exc:
        list(open_reader(io.BytesIO((SAMPLE_DIR / f"{stem}.txt").read_bytes())).claims())
    assert exc.value.rule == expected


@pytest.mark.parametrize("stem", CHECKED)
def test_sample_raises_the_rules_it_was_written_for(stem: str) -> None:
    expected = set(GEN.SAMPLES[stem][0])
    findings, claims, lines = scrub((SAMPLE_DIR / f"{stem}.txt").read_bytes())
    assert claims >= 1 and lines >= 1
    got = {f.rule for f in findings}
    checkable = expected & (implemented_rule_ids() | READER_RULES)
    assert checkable <= got, f"missing {sorted(checkable - got)}; got {sorted(got)}"
    # Reader-level rules appear only in the samples written for them.
    assert got & READER_RULES == expected & READER_RULES


@pytest.mark.parametrize("stem", [n for n in CHECKED if not GEN.SAMPLES[n][0]])
def test_clean_samples_raise_no_error(stem: str) -> None:
    findings, _, _ = scrub((SAMPLE_DIR / f"{stem}.txt").read_bytes())
    assert [f.rule for f in findings if f.severity.value == "error"] == []
