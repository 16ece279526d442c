"""Format detection by content: which reader an upload goes to, or why it is refused before any reader."""

from __future__ import annotations

import json

import pytest
from ctscrub.formats import FileRejected, detect_format


@pytest.mark.parametrize(("head", "fmt"), [
    (b"claim_id,procedure_code\nA,71250\n", "csv-v1"),
    (b"\xef\xbb\xbfClaim_ID,Procedure_Code\r\nA,71250\r\n", "csv-v1"),
    (b"\n\n  claim_id , procedure_code\n", "csv-v1"),
    (b'"claim_id","procedure_code"\n"A","71250"\n', "csv-v1"),
    (b'"claim_id"\n"A"\n', "csv-v1"),
    (b"claim_id\nA\n", "csv-v1"),
    (b'{"format": "ctscrub-claims", "version": 1, "claims": []}', "json-v1"),
    (b'\xef\xbb\xbf  \n{"claim_id": "A", "lines": []}\n', "json-v1"),
    (b"[]", "json-v1"),
    (b"ISA*00*          *00*", "x12-837p"),
    (b"\xef\xbb\xbf\r\nisa*00*", "x12-837p"),
])
def test_detected(head: bytes, fmt: str) -> None:
    assert detect_format(head) == fmt


@pytest.mark.parametrize(("head", "rule", "reason"), [
    (b"", "FILE_MALFORMED", "the file is empty"),
    (b"  \r\n\t ", "FILE_MALFORMED", "the file is empty"),
    (b"\x1f\x8b\x08\x00", "FILE_UNSUPPORTED_FORMAT", "gzip-compressed"),
    (b"PK\x03\x04rest", "FILE_UNSUPPORTED_FORMAT", "zip-compressed"),
    (b"%PDF-1.7", "FILE_UNSUPPORTED_FORMAT", "PDF"),
    ("claim_id,procedure_code\n".encode("utf-16"), "FILE_UNSUPPORTED_FORMAT", "UTF-16"),
    ("claim_id,procedure_code\n".encode("utf-16-be").join([b"\xfe\xff", b""]), "FILE_UNSUPPORTED_FORMAT", "UTF-16"),
    (b"claim_id;procedure_code\nA;71250\n", "FILE_MALFORMED", "separated by semicolons"),
    (b"claim_id\tprocedure_code\nA\t71250\n", "FILE_MALFORMED", "separated by tabs"),
    (b"A,71250,1\n", "FILE_MALFORMED", "no header row with a claim_id column"),
    (b"GS*HC*X*Y~ST*837*0001~", "FILE_MALFORMED", "does not start with an ISA"),
    (b"hello\x00world", "FILE_UNSUPPORTED_FORMAT", "NUL"),
    (b"just some text", "FILE_UNSUPPORTED_FORMAT", "not X12 837P, CSV v1 or JSON v1"),
])
def test_refused(head: bytes, rule: str, reason: str) -> None:
    with pytest.raises(FileRejected) as info:
        detect_format(head)
    assert info.value.rule == rule and reason in info.value.reason


def test_utf8_csv_is_not_mistaken_for_utf16() -> None:
    """Only a UTF-16 byte-order mark triggers the UTF-16 refusal; a UTF-8 BOM CSV is CSV."""
    assert detect_format(b"\xef\xbb\xbfclaim_id,procedure_code\n") == "csv-v1"


def test_json_lines_and_document_both_go_to_json() -> None:
    line = json.dumps({"claim_id": "A", "lines": [{"procedure_code": "71250"}]}).encode()
    assert detect_format(line + b"\n" + line) == "json-v1"
    assert detect_format(b'{\n  "format": "ctscrub-claims",\n') == "json-v1"
