"""JSON v1 reader: the document and JSON Lines forms, per-claim validation, rejections, schema in sync."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ctscrub.formats import FileRejected, json_v1, open_reader
from ctscrub.formats.json_models import ClaimsDocument, schema_json
from ctscrub.model import Claim, Finding, Payer, Severity

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "layers" / "ctscrub" / "ctscrub" / "schemas" / "claims-v1.schema.json"
CANARIES = ("ZQCANARYLAST", "QXCANARYFIRST", "MBRCANARY77", "1951-07-19", "CANARYINDICATION", "CANARYHISTORY")


def claim_obj(claim_id: str = "J1", **over: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "claim_id": claim_id, "payer": "medicare", "member_id": "MBRCANARY77",
        "patient_last_name": "ZQCANARYLAST", "patient_first_name": "QXCANARYFIRST", "birth_date": "1951-07-19",
        "billing_npi": "1234567893", "place_of_service": "11", "locality": "13202-01",
        "lines": [{"procedure_code": "71250", "service_date": "2026-03-02", "charge": 400.00,
                   "diagnosis_codes": ["R91.1"], "ordering_npi": "1245319599"}],
    }
    obj.update(over)
    return obj


def document(*claims: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"format": "ctscrub-claims", "version": 1, "claims": list(claims), **over}


def read(tmp_path: Path, content: str | bytes | dict[str, Any], name: str = "claims.json") -> tuple[list[Claim],
                                                                                                   json_v1.Reader]:
    path = tmp_path / name
    if isinstance(content, dict):
        content = json.dumps(content, indent=2)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with path.open("rb") as fh:
        reader = open_reader(fh)
        assert reader.format_name == "json-v1"
        claims = list(reader.claims())
    return claims, reader  # type: ignore[return-value]


def rejection(tmp_path: Path, content: str | bytes | dict[str, Any]) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        read(tmp_path, content)
    assert info.value.rule == "FILE_MALFORMED"
    return info.value


def jsonl(*objs: dict[str, Any]) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


def assert_no_patient_data(findings: list[Finding]) -> None:
    for f in findings:
        for canary in CANARIES:
            assert canary not in f.message and canary not in f.suggestion, (canary, f.message)


# -- the two forms ------------------------------------------------------------------------------------

def test_document_form_maps_every_field(tmp_path: Path) -> None:
    doc = document(claim_obj(
        payer="commercial", ordering_npi="1245319599", rendering_npi="1234567893", diagnosis_codes=["r91.1"],
        lines=[{"line": 4, "procedure_code": " 71260 ", "modifiers": ["26", "tc"], "units": 1, "charge": 612.25,
                "service_date": "2026-03-02", "place_of_service": "1", "diagnosis_codes": ["R05.1", "j18.9"],
                "ordering_npi": "1111111112",
                "documentation": {"contrast": "iv", "order_signed": True, "indication": "CANARYINDICATION",
                                  "report_signed": False, "rendering_credentials": "MD", "history": "CANARYHISTORY"}},
               {"procedure_code": "71250", "service_date": "2026-03-02"}]))
    claims, reader = read(tmp_path, doc)
    (c,) = claims
    assert reader.file_findings == [] and c.reader_findings == []
    assert (c.claim_id, c.payer, c.member_id, c.patient_last_name, c.patient_first_name, c.birth_date) == (
        "J1", Payer.COMMERCIAL, "MBRCANARY77", "ZQCANARYLAST", "QXCANARYFIRST", date(1951, 7, 19))
    assert (c.billing_npi, c.place_of_service, c.locality, c.location) == ("1234567893", "11", "13202-01",
                                                                           "claims[0]")
    first, second = c.lines
    assert (first.number, first.procedure_code, first.modifiers, first.units, first.charge) == (
        4, "71260", ("26", "TC"), Decimal(1), Decimal("612.25"))
    assert (first.service_date, first.place_of_service, first.diagnosis_codes) == (
        date(2026, 3, 2), "01", ("R051", "J189"))
    assert (first.ordering_npi, first.rendering_npi, first.location) == ("1111111112", "1234567893",
                                                                        "claims[0].lines[0]")
    d = first.documentation
    assert (d.contrast, d.order_signed, d.indication, d.report_signed, d.rendering_credentials, d.history) == (
        "iv", True, "CANARYINDICATION", False, "MD", "CANARYHISTORY")
    # The second line inherits the claim's codes, place of service and providers; numbered by position.
    assert (second.number, second.diagnosis_codes, second.place_of_service, second.ordering_npi) == (
        2, ("R911",), "11", "1245319599")
    assert c.diagnosis_codes == ("R911", "R051", "J189")
    assert c.documented == frozenset({"beneficiary_name", "service_date", "contrast", "order", "indication",
                                      "report", "signature", "history"})


def test_defaults(tmp_path: Path) -> None:
    """Only claim_id and a procedure code: Medicare, 1 unit, national, nothing documented."""
    claims, _ = read(tmp_path, document({"claim_id": "A", "lines": [{"procedure_code": "71250"}]}))
    (c,) = claims
    assert (c.payer, c.locality, c.documented, c.reader_findings) == (Payer.MEDICARE, None, frozenset(), [])
    assert (c.lines[0].units, c.lines[0].number, c.lines[0].charge) == (Decimal(1), 1, None)


def test_documented_lists_only_keys_present(tmp_path: Path) -> None:
    obj = claim_obj(lines=[{"procedure_code": "71250", "documentation": {"report_signed": None}}])
    del obj["patient_last_name"]
    claims, _ = read(tmp_path, document(obj))
    assert claims[0].documented == frozenset({"report"})


def test_json_lines_form_streams_claims(tmp_path: Path) -> None:
    """One claim per line (blank lines allowed) is read line by line; locations name the line."""
    text = "\n" + jsonl(claim_obj("L1")) + "\n" + jsonl(claim_obj("L2"))
    claims, _ = read(tmp_path, text, "claims.jsonl")
    assert [c.claim_id for c in claims] == ["L1", "L2"]
    assert [c.location for c in claims] == ["line 2", "line 4"]
    assert claims[1].lines[0].location == "line 4, lines[0]"


def test_json_lines_is_lazy(tmp_path: Path) -> None:
    """The first claim is yielded before a broken later line is read."""
    text = jsonl(claim_obj("L1")) + "{broken\n"
    path = tmp_path / "c.jsonl"
    path.write_text(text)
    with path.open("rb") as fh:
        it = open_reader(fh).claims()
        assert next(it).claim_id == "L1"
        with pytest.raises(FileRejected) as info:
            next(it)
    assert "line 2 is not valid JSON" in info.value.reason


def test_single_line_document_is_the_document_form(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, json.dumps(document(claim_obj("D1"), claim_obj("D2"))))
    assert [c.claim_id for c in claims] == ["D1", "D2"]


def test_bom_before_json(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, b"\xef\xbb\xbf" + json.dumps(document(claim_obj())).encode())
    assert claims[0].claim_id == "J1"


# -- one bad claim: ROW_MALFORMED, the rest goes on ------------------------------------------------------

def test_wrong_types_give_row_malformed_listing_paths(tmp_path: Path) -> None:
    bad = claim_obj("BAD", birth_date=19510719, lines=[
        {"procedure_code": "71250", "units": "two", "service_date": "2026-03-02", "charge": 400},
        {"procedure_code": "71260", "modifiers": ["26"], "documentation": {"contrast": "MBRCANARY77"}},
        {"service_date": "2026-03-02"}])
    claims, reader = read(tmp_path, document(claim_obj("OK1"), bad, claim_obj("OK2")))
    assert [c.claim_id for c in claims] == ["OK1", "BAD", "OK2"]
    assert claims[0].reader_findings == [] and claims[2].reader_findings == []
    c = claims[1]
    (f,) = c.reader_findings
    assert (f.rule, f.severity, f.claim_id) == ("ROW_MALFORMED", Severity.ERROR, "BAD")
    assert "claims[1].birth_date: Value error, expected a YYYY-MM-DD date as text" in f.message
    assert "claims[1].lines[0].units: Input should be a valid integer" in f.message
    assert "claims[1].lines[1].documentation.contrast: Input should be 'none', 'iv' or 'oral'" in f.message
    assert "claims[1].lines[2].procedure_code: Field required" in f.message
    assert "lines[2] could not be read" in f.message
    # What could be read was kept: bad fields cleared, the line without a code left out.
    assert c.birth_date is None and c.patient_last_name == "ZQCANARYLAST"
    assert [(ln.number, ln.procedure_code, ln.units) for ln in c.lines] == [(1, "71250", 1), (2, "71260", 1)]
    assert c.lines[0].charge == Decimal(400) and c.lines[1].documentation.contrast is None
    assert_no_patient_data(c.reader_findings + reader.file_findings)


def test_range_errors(tmp_path: Path) -> None:
    """Negative or absurd charges, zero or huge units, more than 4 modifiers, a bad locality."""
    bad = claim_obj("R", locality="13202", lines=[
        {"procedure_code": "71250", "charge": -1}, {"procedure_code": "71250", "charge": 1e12},
        {"procedure_code": "71250", "units": 0}, {"procedure_code": "71250", "units": "HUGE"},
        {"procedure_code": "71250", "modifiers": ["26", "59", "76", "XS", "GA"]},
        {"procedure_code": "71250", "charge": 4.005}])
    text = json.dumps(document(bad)).replace('"HUGE"', "1e50")  # a JSON number far above the range
    claims, _ = read(tmp_path, text)
    (f,) = claims[0].reader_findings
    for path in ("locality", "lines[0].charge", "lines[1].charge", "lines[2].units", "lines[3].units",
                 "lines[4].modifiers", "lines[5].charge"):
        assert f"claims[0].{path}:" in f.message
    assert claims[0].locality is None and len(claims[0].lines) == 6
    assert all(ln.units == 1 and ln.charge is None for ln in claims[0].lines)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, document(claim_obj(patientname="X")))
    (f,) = claims[0].reader_findings
    assert "claims[0].patientname: Extra inputs are not permitted" in f.message
    assert claims[0].lines


def test_valid_claims_raise_nothing(tmp_path: Path) -> None:
    claims, reader = read(tmp_path, document(claim_obj("A"), claim_obj("B")))
    assert all(c.reader_findings == [] for c in claims) and reader.file_findings == []


def test_duplicate_line_number(tmp_path: Path) -> None:
    claims, _ = read(tmp_path, document(claim_obj(lines=[{"line": 1, "procedure_code": "71250"},
                                                         {"line": 1, "procedure_code": "71260"}])))
    (f,) = claims[0].reader_findings
    assert "line number 1 twice" in f.message and f.line == 1


def test_claim_without_claim_id_rejects_the_file(tmp_path: Path) -> None:
    obj = claim_obj()
    del obj["claim_id"]
    rej = rejection(tmp_path, document(claim_obj("A"), obj))
    assert "claims[1].claim_id: Field required" in rej.reason and rej.where == "claims[1]"


def test_claim_id_of_wrong_type_rejects_the_file(tmp_path: Path) -> None:
    rej = rejection(tmp_path, document(claim_obj(claim_id=123)))
    assert "claims[0].claim_id: Input should be a valid string" in rej.reason


def test_claim_that_is_not_an_object(tmp_path: Path) -> None:
    rej = rejection(tmp_path, document(claim_obj(), ["x"]))
    assert "claims[1]: Input should be an object" in rej.reason


# -- whole-file rejections -----------------------------------------------------------------------------

@pytest.mark.parametrize(("doc", "expect"), [
    ({"format": "other", "version": 1, "claims": []}, "format: Input should be 'ctscrub-claims'"),
    ({"format": "ctscrub-claims", "version": 2, "claims": []}, "version: Input should be 1"),
    ({"format": "ctscrub-claims", "version": 1}, "claims: Field required"),
    ({"format": "ctscrub-claims", "version": 1, "claims": {}}, "claims: Input should be a valid list"),
    ({"format": "ctscrub-claims", "version": 1, "claims": [], "x": 1}, "x: Extra inputs are not permitted"),
])
def test_bad_envelope(tmp_path: Path, doc: dict[str, Any], expect: str) -> None:
    assert expect in rejection(tmp_path, doc).reason


def test_top_level_array_is_rejected(tmp_path: Path) -> None:
    rej = rejection(tmp_path, json.dumps([claim_obj()]))
    assert "not an object with format, version and claims" in rej.reason


def test_syntax_error_names_the_position(tmp_path: Path) -> None:
    rej = rejection(tmp_path, '{"format": "ctscrub-claims",\n "version": 1,\n "claims": [}\n')
    assert "not valid JSON" in rej.reason and "line 3" in rej.reason


def test_deep_nesting(tmp_path: Path) -> None:
    rej = rejection(tmp_path, '{"format": "ctscrub-claims", "claims": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested too deeply" in rej.reason


def test_deep_nesting_in_json_lines(tmp_path: Path) -> None:
    rej = rejection(tmp_path, jsonl(claim_obj()) + '{"claim_id": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert "line 2 is nested too deeply" in rej.reason


def test_huge_integer(tmp_path: Path) -> None:
    rej = rejection(tmp_path, '{"format": "ctscrub-claims", "version": 1, "claims": [], "n": ' + "9" * 5000 + "}")
    assert "number that cannot be read" in rej.reason


def test_absurd_exponent_is_refused_before_validation(tmp_path: Path) -> None:
    """1e999999 would become a million-digit integer for units; the file is refused instead."""
    rej = rejection(tmp_path, '{"format": "ctscrub-claims", "version": 1, "claims": [{"claim_id": "A", '
                              '"lines": [{"procedure_code": "71250", "units": 1e999999}]}]}')
    assert "number that cannot be read" in rej.reason


def test_nan_is_not_a_number(tmp_path: Path) -> None:
    rej = rejection(tmp_path, '{"format": "ctscrub-claims", "version": 1, "claims": [{"claim_id": "A", '
                              '"lines": [{"procedure_code": "71250", "charge": NaN}]}]}')
    assert "number that cannot be read" in rej.reason


def test_invalid_utf8(tmp_path: Path) -> None:
    content = json.dumps(document(claim_obj())).encode().replace(b"ZQCANARYLAST", b"ZQ\xffLAST")
    rej = rejection(tmp_path, content)
    pos = content.index(b"\xff")
    assert "not valid UTF-8" in rej.reason and f"byte {pos:,}" in rej.reason


def test_invalid_utf8_in_json_lines(tmp_path: Path) -> None:
    first = jsonl(claim_obj()).encode()
    content = first + b'{"claim_id": "\xc3("}\n'
    rej = rejection(tmp_path, content)
    assert "not valid UTF-8" in rej.reason and "line 2" in rej.reason and f"byte {len(first) + 14:,}" in rej.reason


def test_document_over_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The single-document form is read whole, so it is capped; the reason states the cap."""
    monkeypatch.setattr(json_v1, "DOCUMENT_CAP", 2 * 1024 * 1024)
    doc = document(*[claim_obj(f"C{i}") for i in range(8000)])
    rej = rejection(tmp_path, doc)
    assert "larger than 2 MB" in rej.reason


def test_json_lines_has_no_document_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_v1, "DOCUMENT_CAP", 1024)
    claims, _ = read(tmp_path, jsonl(*[claim_obj(f"C{i}") for i in range(50)]), "c.jsonl")
    assert len(claims) == 50


def test_json_line_over_the_limit(tmp_path: Path) -> None:
    big = claim_obj(lines=[{"procedure_code": "71250", "documentation": {"history": "x" * (json_v1.LINE_LIMIT + 1)}}])
    rej = rejection(tmp_path, jsonl(claim_obj(), big))
    assert "line 2 is too long" in rej.reason


def test_json_lines_line_that_is_not_an_object(tmp_path: Path) -> None:
    rej = rejection(tmp_path, jsonl(claim_obj()) + "[1, 2]\n")
    assert "line 2 is not a JSON object" in rej.reason


# -- schema and samples ---------------------------------------------------------------------------------

def test_committed_schema_matches_the_models() -> None:
    """schemas/claims-v1.schema.json is what scripts/gen_json_schema.py generates from json_models."""
    assert SCHEMA.read_text("utf-8") == schema_json()


def test_schema_documents_every_field() -> None:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    for name in ("ClaimIn", "LineIn", "DocumentationIn"):
        for prop, spec in schema["$defs"][name]["properties"].items():
            assert spec.get("description"), f"{name}.{prop} has no description"
        assert schema["$defs"][name]["additionalProperties"] is False


def test_json_samples_read_cleanly() -> None:
    for name in ("claims.json", "claims.jsonl"):
        with (ROOT / "samples" / "json" / name).open("rb") as fh:
            reader = open_reader(fh)
            claims = list(reader.claims())
        assert claims and reader.file_findings == [] and all(c.reader_findings == [] for c in claims), name


def test_document_sample_validates_against_the_model() -> None:
    ClaimsDocument.model_validate_json((ROOT / "samples" / "json" / "claims.json").read_bytes())
