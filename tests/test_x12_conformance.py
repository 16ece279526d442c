"""Conformance over the shared public 837 corpus (../shared/samples/x12), when it is present.

Claim and service-line counts are checked against an independent naive count of CLM and SV1 segments
(delimiters read from the fixed ISA positions, split with plain str.split).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import SHARED
from ctscrub.formats import FileRejected, open_reader

CORPUS = SHARED / "samples" / "x12"
FILES = sorted(p for p in CORPUS.glob("*") if p.is_file() and p.name != "README.md") if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not FILES, reason="shared X12 sample corpus not present")


def _by_prefix(*prefixes: str) -> list[Path]:
    return [p for p in FILES if p.name.startswith(prefixes)]


def naive_counts(data: bytes) -> tuple[int, int]:
    """Count CLM and SV1 segments without the reader: terminator and separator from the fixed ISA."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff \r\n")
    elem, term = text[3], text[105]
    ids = [seg.strip().split(elem, 1)[0] for seg in text.split(term)]
    return ids.count("CLM"), ids.count("SV1")


def scrub_read(path: Path):  # type: ignore[no-untyped-def]
    reader = open_reader(io.BytesIO(path.read_bytes()))
    claims = list(reader.claims())
    return reader, claims


@pytest.mark.parametrize("path", _by_prefix("p_", "derived_", "synthetic_"), ids=lambda p: p.name)
def test_professional_files_read_every_claim_and_line(path: Path) -> None:
    clm, sv1 = naive_counts(path.read_bytes())
    reader, claims = scrub_read(path)
    assert reader.format_name == "x12-837p"
    assert len(claims) == clm
    assert sum(len(c.lines) for c in claims) == sv1
    assert all(c.claim_id and not c.claim_id.startswith("(") for c in claims)


@pytest.mark.parametrize("path", _by_prefix("i_"), ids=lambda p: p.name)
def test_institutional_files_are_rejected(path: Path) -> None:
    with pytest.raises(FileRejected) as exc:
        scrub_read(path)
    assert exc.value.rule == "FILE_UNSUPPORTED_FORMAT"
    assert "837I" in exc.value.reason


@pytest.mark.parametrize("path", _by_prefix("bad_"), ids=lambda p: p.name)
def test_defective_files_give_a_located_finding_without_crashing(path: Path) -> None:
    reader, claims = scrub_read(path)
    findings = list(reader.file_findings) + [f for c in claims for f in c.reader_findings]
    assert findings, "a defective file must produce at least one finding"
    assert all(f.rule in ("X12_ENVELOPE", "X12_CLAIM_MALFORMED") for f in findings)
    assert any("segment " in f.message or "byte " in f.message for f in findings)


def test_component_separator_mismatch_files_are_read_with_the_seen_separator() -> None:
    for path in _by_prefix("bad_lfh_compsep"):
        reader, claims = scrub_read(path)
        assert any("'>'" in f.message and "':'" in f.message for f in reader.file_findings)
        assert all(ln.procedure_code.isalnum() and ">" not in ln.procedure_code for c in claims for ln in c.lines)
        assert all(c.place_of_service == "11" or c.place_of_service == "22" for c in claims)


def test_synthetic_chest_ct_file_fields() -> None:
    path = CORPUS / "synthetic_ct_chest_2claims.txt"
    if not path.exists():
        pytest.skip("synthetic sample not present")
    _, (first, second) = scrub_read(path)
    assert [ln.procedure_code for ln in first.lines] == ["71250", "71260", "71271"]
    assert first.lines[1].place_of_service == "22" and first.lines[1].modifiers == ("26", "59")
    assert first.lines[2].diagnosis_codes == ("Z87891", "F17210")
    assert first.payer_type_code == "MB" and first.billing_npi == "1234567893"
    assert second.frequency_code == "7" and second.has_original_reference
    assert second.birth_date is not None and second.birth_date.year == 2010  # the patient HL's DMG
    assert second.lines[0].service_date_end is not None
    assert second.lines[0].ordering_npi == "1679576722" and second.lines[0].rendering_npi == "1497758544"
