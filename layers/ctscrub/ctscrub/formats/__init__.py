"""Input formats: detect the format from the content, then a reader yields claims one at a time.

Each reader module exposes ``Reader(stream: PeekedStream)`` with ``format_name``, ``file_findings``
(structural findings gathered while reading, e.g. X12 envelope counts) and ``claims()``, a generator
that streams ``Claim`` objects. A reader raises ``FileRejected`` when the upload cannot be read at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Protocol

from ctscrub.formats.errors import FileRejected
from ctscrub.formats.stream import PeekedStream, Readable
from ctscrub.model import Claim, Finding

# format name -> module implementing Reader
READERS = {
    "x12-837p": "ctscrub.formats.x12_837p",
    "csv-v1": "ctscrub.formats.csv_v1",
    "json-v1": "ctscrub.formats.json_v1",
}


class ClaimReader(Protocol):
    format_name: str
    file_findings: list[Finding]

    def claims(self) -> Iterator[Claim]: ...


_BOMS = (b"\xef\xbb\xbf",)
_COMPRESSED = {b"\x1f\x8b": "gzip", b"PK\x03\x04": "zip", b"BZh": "bzip2", b"\xfd7zXZ": "xz"}


def detect_format(head: bytes) -> str:
    """Name the format of an upload from its first bytes, or raise ``FileRejected`` saying what it is."""
    if not head.strip():
        raise FileRejected("FILE_MALFORMED", "the file is empty", "byte 0",
                           "Upload the claim file again; the object has no content.")
    for magic, kind in _COMPRESSED.items():
        if head.startswith(magic):
            raise FileRejected("FILE_UNSUPPORTED_FORMAT", f"the file is {kind}-compressed", "byte 0",
                               "Upload the uncompressed claim file (X12 837P, CSV v1 or JSON v1).")
    if head.startswith(b"%PDF"):
        raise FileRejected("FILE_UNSUPPORTED_FORMAT", "the file is a PDF document", "byte 0")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # before the NUL check: UTF-16 text is full of NULs
        raise FileRejected("FILE_UNSUPPORTED_FORMAT", "the file is UTF-16 text, not UTF-8", "byte 0",
                           "Save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)').")
    body = head
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom):]
    stripped = body.lstrip()
    if stripped[:3].upper() == b"ISA":
        return "x12-837p"
    if stripped[:1] in (b"{", b"["):
        return "json-v1"
    if b"\x00" in head:
        raise FileRejected("FILE_UNSUPPORTED_FORMAT", "the file is binary (it contains NUL bytes)", "byte 0")
    first_line = stripped.split(b"\n", 1)[0].lower()
    if b"claim_id" in first_line and (b"," in first_line or first_line.strip().strip(b"\"") == b"claim_id"):
        return "csv-v1"
    if b"claim_id" in first_line and (b";" in first_line or b"\t" in first_line):
        sep = "semicolons" if b";" in first_line else "tabs"
        raise FileRejected("FILE_MALFORMED", f"the header row is separated by {sep}; CSV v1 uses commas", "line 1",
                           "Save the file as comma-separated CSV (in Excel: 'CSV UTF-8 (Comma delimited)').")
    if b"ST*837" in head or b"GS*HC" in head:
        raise FileRejected("FILE_MALFORMED", "the file looks like X12 but does not start with an ISA header",
                           "byte 0", "Send the whole interchange, starting with the ISA segment.")
    if b"," in first_line:
        raise FileRejected("FILE_MALFORMED", "the CSV file has no header row with a claim_id column", "line 1",
                           "Add the CSV v1 header row (claim_id, procedure_code, ...); see docs/FORMATS.md.")
    raise FileRejected("FILE_UNSUPPORTED_FORMAT",
                       "the content is not X12 837P, CSV v1 or JSON v1", "byte 0")


def open_reader(source: Readable, *, max_bytes: int | None = None) -> ClaimReader:
    stream = PeekedStream(source, max_bytes=max_bytes)
    fmt = detect_format(stream.head)
    module = importlib.import_module(READERS[fmt])
    reader: ClaimReader = module.Reader(stream)
    return reader


__all__ = ["READERS", "ClaimReader", "FileRejected", "PeekedStream", "detect_format", "open_reader"]
