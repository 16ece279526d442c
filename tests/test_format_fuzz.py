"""Fuzzing the CSV v1 and JSON v1 readers: whatever the bytes, reading ends in claims or FileRejected.

Random bytes, and random mutations and truncations of valid files, are fed through ``open_reader``; any
exception other than ``FileRejected`` (a crash the Lambda would not turn into a rejected upload) fails.
X12 input goes to its own reader and is fuzzed with it.
"""

from __future__ import annotations

import io
import json

from ctscrub.formats import FileRejected, detect_format, open_reader
from ctscrub.model import Claim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VALID_CSV = (
    b"\xef\xbb\xbfclaim_id,line,member_id,patient_last_name,birth_date,payer,service_date,place_of_service,"
    b"procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,locality,contrast,order_signed,history\r\n"
    b"C1,1,1EG4TE5MK73,SAMPLE,1956-04-12,medicare,2026-03-02,11,71250,26:TC,1,425.00,R91.1;R05.1,1245319599,"
    b"13202-01,none,yes,\"smoker, 30 pack-years\"\r\n"
    b"C1,2,1EG4TE5MK73,SAMPLE,1956-04-12,medicare,2026-03-02,11,71260,,1,\"1,200\",R91.1,1245319599,13202-01,iv,no,\r\n"
    b"C2,,2GH5UF6NL84,EXAMPLE,1948-11-30,commercial,2026-03-03,22,71271,,1,310,Z87.891,1245319599,,,,\r\n"
)
_CLAIM = {"claim_id": "J1", "payer": "medicare", "birth_date": "1956-04-12", "patient_last_name": "SAMPLE",
          "place_of_service": "11", "diagnosis_codes": ["R91.1"],
          "lines": [{"procedure_code": "71250", "modifiers": ["26"], "units": 1, "charge": 425.0,
                     "service_date": "2026-03-02", "documentation": {"contrast": "none", "order_signed": True}}]}
VALID_JSON = json.dumps({"format": "ctscrub-claims", "version": 1, "claims": [_CLAIM, {**_CLAIM, "claim_id": "J2"}]},
                        indent=1).encode()
VALID_JSONL = (json.dumps(_CLAIM) + "\n" + json.dumps({**_CLAIM, "claim_id": "J2"}) + "\n").encode()

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(data: bytes) -> list[Claim]:
    """Read every claim; FileRejected is an acceptable outcome, anything else propagates and fails."""
    try:
        if detect_format(data[:4096]) == "x12-837p":
            return []
    except FileRejected:
        return []
    try:
        reader = open_reader(io.BytesIO(data))
        claims = list(reader.claims())
    except FileRejected as rej:
        assert rej.reason and rej.rule in ("FILE_MALFORMED", "FILE_UNSUPPORTED_FORMAT")
        return []
    for c in claims:  # whatever was read is well-formed enough for the rules
        assert isinstance(c.claim_id, str) and c.claim_id
        assert all(isinstance(ln.number, int) and isinstance(ln.procedure_code, str) for ln in c.lines)
    return claims


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from([b",", b'"', b"\n", b"\r", b"{", b"[", b"]", b"}", b":", b";",
                                                  b"\x00", b"\xff", b"\xc3", b"-", b"9" * 30, b"1e999", b"null",
                                                  b'"claim_id"', b"=cmd|' /C calc'!A0"]))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 20))]
        elif op == "dup":
            data[pos:pos] = data[pos:pos + draw(st.integers(1, 200))]
        else:
            del data[pos:]
    return bytes(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    read_all(data)


@FUZZ
@given(st.binary(max_size=500))
def test_random_bytes_after_a_csv_header(data: bytes) -> None:
    read_all(b"claim_id,procedure_code,units,charge,service_date,modifiers\n" + data)


@FUZZ
@given(st.binary(max_size=500))
def test_random_bytes_after_a_json_start(data: bytes) -> None:
    read_all(b'{"format": "ctscrub-claims", "version": 1, "claims": [' + data)


@FUZZ
@given(mutated(VALID_CSV))
def test_mutated_csv(data: bytes) -> None:
    read_all(data)


@FUZZ
@given(mutated(VALID_JSON))
def test_mutated_json_document(data: bytes) -> None:
    read_all(data)


@FUZZ
@given(mutated(VALID_JSONL))
def test_mutated_json_lines(data: bytes) -> None:
    read_all(data)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
                    max_leaves=30))
def test_arbitrary_json_values_in_a_claim(value: object) -> None:
    """Any JSON value under any claim or line key ends as a claim with ROW_MALFORMED or a rejection."""
    for key in ("claim_id", "payer", "birth_date", "lines", "diagnosis_codes", "locality"):
        read_all(json.dumps({"format": "ctscrub-claims", "version": 1, "claims": [{**_CLAIM, key: value}]}).encode())
    line = {**_CLAIM["lines"][0], "units": value, "documentation": value}  # type: ignore[dict-item]
    read_all((json.dumps({**_CLAIM, "lines": [line]}) + "\n").encode())


def test_valid_inputs_read() -> None:
    """The fuzz seeds themselves read without rejection (so mutations start from working files)."""
    assert [c.claim_id for c in read_all(VALID_CSV)] == ["C1", "C2"]
    assert [c.claim_id for c in read_all(VALID_JSON)] == ["J1", "J2"]
    assert [c.claim_id for c in read_all(VALID_JSONL)] == ["J1", "J2"]
