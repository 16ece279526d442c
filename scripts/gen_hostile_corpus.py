"""Generate the hostile-input corpus (tests/corpus/hostile/) and its MANIFEST.json, deterministically.

Every case is one upload a billing system, a clearinghouse or an attacker might send: empty, binary,
compressed, truncated or mis-delimited X12, broken CSV and JSON, absurd values, formula-injection cells,
patient-data canaries. Each case names what it is and the outcomes the pipeline may end in; the test
``tests/test_hostile_corpus.py`` runs every case through ``ctscrub.pipeline.scrub``.

Small cases are committed; big ones (a 20 MB single line, a gzip bomb, 100,000 nested brackets, a 2 MB
cell) are written at test time into a temporary directory by the same code, so the repo stays small.

    python scripts/gen_hostile_corpus.py            # rewrite the committed files and the manifest
    python scripts/gen_hostile_corpus.py --check    # exit 1 if the committed corpus is out of date
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import hashlib
import io
import json
import lzma
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "tests" / "corpus" / "hostile"
MANIFEST_NAME = "MANIFEST.json"
COMMITTED_MAX_BYTES = 64 * 1024  # a committed corpus file stays small

# Patient-data canaries planted in the files: none may appear in any finding, reason, log or output.
CANARY_LAST = "ZZCANARYNAME"
CANARY_FIRST = "ZZCANARYFIRST"
CANARY_MEMBER = "CANARYMBR999"
CANARY_BIRTH = "1911-11-11"
CANARIES = (CANARY_LAST, CANARY_FIRST, CANARY_MEMBER, CANARY_BIRTH, "19111111", "11/11/1911")
# Spreadsheet formula payloads planted in text columns: no message may carry them.
FORMULAS = ('=HYPERLINK("http://example.invalid/x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)")

GOOD_NPI = "1234567893"
DOS = "2026-11-02"  # within 12 months of the test's processing date 2026-11-28

# -- outcomes ----------------------------------------------------------------------------------------


def rejected(rule: str, *words: str | tuple[str, ...], located: bool = True) -> dict[str, Any]:
    """The upload is rejected with ``rule``; the reason contains one word of each group (case-insensitive).

    ``located``: the reason must say where (byte, line, row, segment, ...). Whole-file conditions such as
    "no claims" have no single place.
    """
    groups = [[w] if isinstance(w, str) else list(w) for w in words]
    return {"outcome": "rejected", "rule": rule, "reason_words": groups, "located": located}


def processed(*rules: str, min_claims: int = 0, words: tuple[str, ...] = ()) -> dict[str, Any]:
    """The upload is processed, raising at least the given rule ids, with at least ``min_claims`` claims;
    when ``words`` are given, a finding of those rules mentions one of them."""
    out: dict[str, Any] = {"outcome": "processed", "rules": list(rules), "min_claims": min_claims}
    if words:
        out["finding_words"] = list(words)
    return out


@dataclass(frozen=True)
class Case:
    name: str  # file name in the corpus directory
    category: str  # general, compressed, x12, csv, json
    what: str
    accept: list[dict[str, Any]]  # the outcomes this upload may end in (usually one)
    build: Callable[[], bytes] | None = None  # small cases: the bytes
    stream: Callable[[BinaryIO], None] | None = None  # generated-at-test-time cases: write the bytes
    max_bytes: int | None = None  # ScrubOptions.max_bytes for this run
    max_peak_mb: float | None = None  # traced peak memory the run must stay under
    max_read_bytes: int | None = None  # bytes the pipeline may take from the source at most
    known_defect: str | None = None  # a defect in code outside the corpus, stated for the lead

    @property
    def generated(self) -> bool:
        return self.stream is not None

    def write(self, path: Path) -> None:
        with path.open("wb") as fh:
            if self.stream is not None:
                self.stream(fh)
            elif self.build is not None:
                fh.write(self.build())

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "file": self.name,
            "category": self.category,
            "what": self.what,
            "generated_at_test_time": self.generated,
            "accept": self.accept,
        }
        if self.max_bytes is not None:
            entry["max_bytes"] = self.max_bytes
        if self.max_peak_mb is not None:
            entry["max_peak_mb"] = self.max_peak_mb
        if self.max_read_bytes is not None:
            entry["max_read_bytes"] = self.max_read_bytes
        if self.known_defect:
            entry["known_defect"] = self.known_defect
        return entry


# -- deterministic filler ------------------------------------------------------------------------------


def noise(n: int, seed: str) -> bytes:
    """``n`` pseudo-random bytes, the same on every run (BLAKE2b in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.blake2b(f"{seed}:{counter}".encode(), digest_size=64).digest()
        counter += 1
    return bytes(out[:n])


# -- CSV v1 -----------------------------------------------------------------------------------------------

CSV_HEADER = [
    "claim_id", "line", "member_id", "patient_last_name", "patient_first_name", "birth_date", "payer",
    "service_date", "place_of_service", "procedure_code", "modifiers", "units", "charge", "diagnosis_codes",
    "ordering_npi", "rendering_npi", "billing_npi", "indication", "history", "rendering_credentials",
]


def csv_row(claim_id: str = "C1", line: str = "1", **over: str) -> list[str]:
    values = {
        "claim_id": claim_id, "line": line, "member_id": CANARY_MEMBER, "patient_last_name": CANARY_LAST,
        "patient_first_name": CANARY_FIRST, "birth_date": CANARY_BIRTH, "payer": "medicare",
        "service_date": DOS, "place_of_service": "11", "procedure_code": "71250", "modifiers": "",
        "units": "1", "charge": "400.00", "diagnosis_codes": "R91.1", "ordering_npi": GOOD_NPI,
        "rendering_npi": GOOD_NPI, "billing_npi": GOOD_NPI, "indication": "nodule follow-up",
        "history": "prior CT 2025", "rendering_credentials": "MD",
    }
    values.update(over)
    return [values[c] for c in CSV_HEADER]


def csv_body(rows: Iterable[list[str]], *, eol: str = "\n", sep: str = ",") -> bytes:
    """Rows as CSV text (UTF-8), without a header."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=eol, delimiter=sep).writerows(rows)
    return buf.getvalue().encode("utf-8")


def csv_bytes(rows: Iterable[list[str]], header: list[str] | None = None, *, eol: str = "\n",
              sep: str = ",") -> bytes:
    """A CSV file: the header (CSV v1's full header unless given), then the rows."""
    return csv_body([header if header is not None else CSV_HEADER, *rows], eol=eol, sep=sep)


def csv_good() -> bytes:
    return csv_bytes([csv_row("C1"), csv_row("C2", procedure_code="71260", charge="500.00")])


def csv_padded_rows(n: int) -> list[list[str]]:
    return [csv_row(f"P{i:04d}") for i in range(n)]


# -- JSON v1 ---------------------------------------------------------------------------------------------


def json_line(number: int = 1, **over: Any) -> dict[str, Any]:
    ln: dict[str, Any] = {
        "line": number, "service_date": DOS, "place_of_service": "11", "procedure_code": "71250",
        "modifiers": [], "units": 1, "charge": 400.0, "diagnosis_codes": ["R91.1"],
        "ordering_npi": GOOD_NPI, "rendering_npi": GOOD_NPI,
    }
    ln.update(over)
    return ln


def json_claim(claim_id: Any = "J1", lines: Any = None, **over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "claim_id": claim_id, "member_id": CANARY_MEMBER, "patient_last_name": CANARY_LAST,
        "patient_first_name": CANARY_FIRST, "birth_date": CANARY_BIRTH, "payer": "medicare",
        "billing_npi": GOOD_NPI, "lines": lines if lines is not None else [json_line()],
    }
    c.update(over)
    return c


def json_bytes(doc: Any) -> bytes:
    return json.dumps(doc, indent=1).encode("utf-8")


def json_doc(*claims: Any, **extra: Any) -> bytes:
    """A JSON v1 document: the format/version envelope around ``claims``."""
    return json_bytes({"format": "ctscrub-claims", "version": 1, "claims": list(claims), **extra})


def json_raw_doc(*claims: bytes) -> bytes:
    """A JSON v1 document around claim texts given as raw bytes (for literals json.dumps cannot write)."""
    return b'{"format": "ctscrub-claims", "version": 1, "claims": [' + b", ".join(claims) + b"]}\n"


def json_good() -> bytes:
    return json_doc(json_claim("J1"), json_claim("J2", [json_line(1, procedure_code="71260")]))


# -- X12 -------------------------------------------------------------------------------------------------


def isa(*, elem: str = "*", rep: str = "^", comp: str = ":", term: str = "~", version: str = "00501") -> str:
    """A fixed-width ISA segment (106 characters with its terminator)."""
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SUBMITTERID".ljust(15), "ZZ", "RECEIVERID".ljust(15),
              "261120", "1200", rep, version, "000000001", "0", "P", comp]
    seg = elem.join(fields) + term
    assert len(seg) == 106, len(seg)  # a generator self-check
    return seg


def x12_claim(hl: int, clm_id: str, lines: list[str], *, dx: str = "ABK:R911") -> list[str]:
    """The subscriber HL and one claim (segments without terminators) with the given line segments."""
    total = 400 * max(1, sum(1 for s in lines if s.startswith(("SV1", "SV2", "SV3"))))
    return [
        f"HL*{hl}*1*22*0", "SBR*P*18*******MB",
        f"NM1*IL*1*{CANARY_LAST}*{CANARY_FIRST}****MI*{CANARY_MEMBER}",
        "N3*1 CANARY WAY", "N4*ANYTOWN*NY*100010001", "DMG*D8*19111111*F",
        "NM1*PR*2*MEDICARE*****PI*13202",
        f"CLM*{clm_id}*{total}***11:B:1*Y*A*Y*Y", f"HI*{dx}",
        f"NM1*DN*1*ORDERING*DOC****XX*{GOOD_NPI}", f"NM1*82*1*RENDERING*DOC****XX*{GOOD_NPI}",
        *lines,
    ]


def sv1_line(n: int, sv1: str = "SV1*HC:71250*400*UN*1***1", date: str = "DTP*472*D8*20261102") -> list[str]:
    return [f"LX*{n}", sv1, date]


def x12_837(claims: list[list[str]], *, gs_code: str = "HC", st: str = "837", version: str = "005010X222A1",
            isa_version: str = "00501", comp: str = ":", se_count: int | None = None, iea: bool = True,
            term: str = "~\n") -> bytes:
    body = ["BHT*0019*00*0123*20261120*1200*CH", "NM1*41*2*BILLING CLINIC*****46*TGJ23",
            "PER*IC*CONTACT*TE*5555551234", "NM1*40*2*RECEIVER*****46*66783JJT",
            "HL*1**20*1", f"NM1*85*2*BILLING CLINIC*****XX*{GOOD_NPI}", "N3*1 MAIN ST",
            "N4*ANYTOWN*NY*100010001", "REF*EI*123456789"]
    for c in claims:
        body += c
    st_seg = f"ST*{st}*0001" + (f"*{version}" if isa_version == "00501" else "")
    segs = [st_seg, *body]
    segs.append(f"SE*{se_count if se_count is not None else len(segs) + 1}*0001")
    out = [f"GS*{gs_code}*SUBMITTERID*RECEIVERID*20261120*1200*1*X*{version}", *segs, "GE*1*1"]
    if iea:
        out.append("IEA*1*000000001")
    return (isa(comp=comp, version=isa_version) + "\n" + term.join(out) + term).encode("ascii")


def x12_good(comp: str = ":") -> bytes:
    second = sv1_line(1, "SV1*HC:71260*400*UN*1***1")
    return x12_837([x12_claim(2, "CLM001", sv1_line(1)), x12_claim(3, "CLM002", second)], comp=comp)


# -- generated-at-test-time writers -------------------------------------------------------------------

MB = 1 << 20
MAX_MESSAGE_CHARS = 4000  # a finding message or suggestion is read by a person and stored in one DynamoDB item


def _repeat(fh: BinaryIO, chunk: bytes, total: int) -> None:
    written = 0
    while written < total:
        part = chunk[: total - written]
        fh.write(part)
        written += len(part)


def write_x12_20mb_line(fh: BinaryIO) -> None:
    """A valid ISA, then one 20 MB segment with no terminator and no line break."""
    fh.write(isa().encode())
    fh.write(b"GS*HC*")
    _repeat(fh, b"A" * MB, 20 * MB)


def write_csv_20mb_line(fh: BinaryIO) -> None:
    """A header, then one 20 MB row with no line break (a single indication cell)."""
    fh.write(b"claim_id,procedure_code,indication\nC1,71250,")
    _repeat(fh, b"x" * MB, 20 * MB)


def write_json_20mb_line(fh: BinaryIO) -> None:
    """A JSON document on one line whose indication string is 20 MB and never closed."""
    fh.write(b'{"format":"ctscrub-claims","version":1,"claims":[{"claim_id":"J1","indication":"')
    _repeat(fh, b"y" * MB, 20 * MB)


def write_csv_2mb_cell(fh: BinaryIO) -> None:
    """A valid claim, then a claim whose indication cell is 2 MB (quoted, on one line)."""
    fh.write(csv_bytes([csv_row("C1")]))
    row = csv_row("C2")
    prefix = io.StringIO()
    csv.writer(prefix, lineterminator="").writerow(row[:-3])
    fh.write(prefix.getvalue().encode() + b',"')
    _repeat(fh, b"z" * MB, 2 * MB)
    fh.write(b'",prior CT,MD\n')


def write_gzip_bomb(fh: BinaryIO) -> None:
    """1 GiB of zeros behind a CSV header as ~1 MB of gzip: 1,024 identical gzip members of 1 MiB each
    (a valid multi-member gzip file, built without compressing 1 GiB here)."""
    first = gzip.compress(b"claim_id,procedure_code\n" + b"\0" * (MB - 24), compresslevel=9, mtime=0)
    member = gzip.compress(b"\0" * MB, compresslevel=9, mtime=0)
    fh.write(first)
    for _ in range(1023):
        fh.write(member)


def write_json_30mb_document(fh: BinaryIO) -> None:
    """A JSON v1 document of 30 MB (whitespace padding inside the claims list)."""
    fh.write(b'{"format": "ctscrub-claims", "version": 1, "claims": [' + json.dumps(json_claim("J1")).encode())
    _repeat(fh, b" " * MB, 30 * MB)
    fh.write(b"]}\n")


def write_deep_json(fh: BinaryIO) -> None:
    """100,000 nested JSON arrays."""
    fh.write(b"[" * 100_000 + b"]" * 100_000)


def write_deep_json_object(fh: BinaryIO) -> None:
    """A claims list whose first element is 100,000 nested objects."""
    fh.write(b'{"format":"ctscrub-claims","version":1,"claims":[' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"]}")


# -- the cases --------------------------------------------------------------------------------------------

MALFORMED, UNSUPPORTED = "FILE_MALFORMED", "FILE_UNSUPPORTED_FORMAT"
ROW, X12C, ENV = "ROW_MALFORMED", "X12_CLAIM_MALFORMED", "X12_ENVELOPE"
UTF8 = ("utf-8", "utf8", "encoding", "decode")
NO_CLAIMS = ("no claim", "no service line", "contains no", "without claims")
TOO_BIG = ("limit", "too long", "too large", "larger than", "exceeds")


def gzip_stored(data: bytes) -> bytes:
    """A gzip file holding ``data`` in stored (uncompressed) deflate blocks: byte-identical on every Python
    and zlib version, unlike ``gzip.compress``; still starts with the gzip magic bytes."""
    out = bytearray(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # magic, deflate, no flags, mtime 0, OS unknown
    chunks = [data[i:i + 0xFFFF] for i in range(0, len(data), 0xFFFF)] or [b""]
    for k, chunk in enumerate(chunks):
        n = len(chunk)
        out += bytes([1 if k == len(chunks) - 1 else 0]) + struct.pack("<HH", n, n ^ 0xFFFF) + chunk
    out += struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return bytes(out)


def _zip_csv() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:  # stored: the same bytes on any zlib
        zf.writestr(zipfile.ZipInfo("claims.csv", date_time=(2026, 11, 1, 0, 0, 0)), csv_good())
    return buf.getvalue()


def _png() -> bytes:
    ihdr = b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + ihdr + noise(200, "png")


def _x12_claims_one_bad(bad: list[str]) -> bytes:
    return x12_837([x12_claim(2, "CLM001", sv1_line(1)), x12_claim(3, "CLM002", bad)])


def _cases_general() -> list[Case]:
    g = "general"
    return [
        Case("gen_empty.bin", g, "an empty object (0 bytes)", [rejected(MALFORMED, "empty")], build=lambda: b""),
        Case("gen_whitespace_only.txt", g, "spaces, tabs and line breaks only",
             [rejected(MALFORMED, "empty")], build=lambda: b"  \t\r\n\n   \r\n\t"),
        Case("gen_random_bytes.bin", g, "4 KB of pseudo-random bytes",
             [rejected(UNSUPPORTED, ("binary", "not x12", "not valid"))], build=lambda: noise(4096, "random")),
        Case("gen_png_header.png", g, "a PNG image header", [rejected(UNSUPPORTED, ("binary", "png", "image"))],
             build=_png),
        Case("gen_pdf_header.pdf", g, "a PDF document header", [rejected(UNSUPPORTED, "pdf")],
             build=lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
        Case("gen_html_page.html", g, "an HTML error page saved instead of the claim file",
             [rejected(UNSUPPORTED, ("not x12", "html"))],
             build=lambda: b"<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1></body></html>\n"),
        Case("gen_xml_document.xml", g, "an XML document", [rejected(UNSUPPORTED, ("not x12", "xml"))],
             build=lambda: b'<?xml version="1.0"?>\n<claims><claim id="C1"/></claims>\n'),
        Case("gen_plain_text.txt", g, "a plain text note without commas",
             [rejected(UNSUPPORTED, ("not x12", "text"))],
             build=lambda: b"Please find attached the claims for November\n"),
        Case("gen_utf16_csv.csv", g, "a valid CSV saved as UTF-16 LE with a BOM (NUL bytes between letters)",
             [rejected(UNSUPPORTED, ("binary", "utf-16", "encoding")), rejected(MALFORMED, ("utf-16", *UTF8))],
             build=lambda: b"\xff\xfe" + csv_good().decode().encode("utf-16-le")),
    ]


def _cases_compressed() -> list[Case]:
    c = "compressed"
    return [
        Case("cmp_csv.csv.gz", c, "a valid CSV, gzip-compressed",
             [rejected(UNSUPPORTED, "gzip", ("compress", "uncompressed"))],
             build=lambda: gzip_stored(csv_good())),
        Case("cmp_csv.zip", c, "a valid CSV inside a ZIP archive", [rejected(UNSUPPORTED, "zip")], build=_zip_csv),
        Case("cmp_csv.csv.bz2", c, "a valid CSV, bzip2-compressed", [rejected(UNSUPPORTED, "bzip2")],
             build=lambda: bz2.compress(csv_good())),
        Case("cmp_csv.csv.xz", c, "a valid CSV, xz-compressed", [rejected(UNSUPPORTED, "xz")],
             build=lambda: lzma.compress(csv_good())),
        Case("cmp_x12.gz", c, "a valid 837P, gzip-compressed", [rejected(UNSUPPORTED, "gzip")],
             build=lambda: gzip_stored(x12_good())),
        Case("cmp_gzip_bomb.csv.gz", c,
             "gzip bomb: 1 MB that inflates to 1 GiB; must be rejected from its header, without inflating",
             [rejected(UNSUPPORTED, "gzip")], stream=write_gzip_bomb, max_peak_mb=8, max_read_bytes=64 * 1024),
    ]


def _cases_x12() -> list[Case]:
    x = "x12"
    good = x12_good()
    isa_only = isa().encode() + b"\n"
    isa_gs = (isa() + "\nGS*HC*SUBMITTERID*RECEIVERID*20261120*1200*1*X*005010X222A1~\nGE*0*1~\n"
              "IEA*1*000000001~\n").encode()
    wrong_sep_isa = isa().replace("*", "|", 5).encode() + good[106:]  # offset 3 says '|', later fields use '*'
    i837 = x12_837([x12_claim(2, "CLM001", ["LX*1", "SV2*0350*HC:71250*400*UN*1", "DTP*472*D8*20261102"])],
                   version="005010X223A2")
    d837 = x12_837([x12_claim(2, "CLM001", ["LX*1", "SV3*AD:D0210*100", "DTP*472*D8*20261102"])],
                   version="005010X224A2")
    d837_lie = x12_837([x12_claim(2, "CLM001", ["LX*1", "SV3*AD:D0210*100", "DTP*472*D8*20261102"])])
    v4010 = x12_837([x12_claim(2, "CLM001", sv1_line(1))], version="004010X098A1", isa_version="00401")
    r835 = (isa() + "\nGS*HP*PAYER*RECEIVERID*20261120*1200*1*X*005010X221A1~\nST*835*0001*005010X221A1~\n"
            "BPR*I*400*C*ACH~\nTRN*1*12345*1512345678~\nSE*4*0001~\nGE*1*1~\nIEA*1*000000001~\n").encode()
    r270 = (isa() + "\nGS*HS*SUBMITTERID*RECEIVERID*20261120*1200*1*X*005010X279A1~\n"
            "ST*270*0001*005010X279A1~\nBHT*0022*13*10001234*20261120*1200~\nSE*3*0001~\nGE*1*1~\n"
            "IEA*1*000000001~\n").encode()
    comp_mismatch = good.replace(b"SV1*HC:", b"SV1*HC>").replace(b"11:B:1", b"11>B>1").replace(b"ABK:", b"ABK>")
    invalid_utf8 = good.replace(CANARY_LAST.encode(), b"ZZCANARY\xff\xfeNAME", 1)
    return [
        Case("x12_truncated_isa_50.x12", x, "only the first 50 characters of an ISA segment",
             [rejected(MALFORMED, "isa")], build=lambda: isa().encode()[:50]),
        Case("x12_truncated_isa_105.x12", x, "an ISA segment cut one byte short (no segment terminator)",
             [rejected(MALFORMED, ("isa", "terminator", "interchange", "no claim"))],
             build=lambda: isa().encode()[:105]),
        Case("x12_isa_wrong_separators.x12", x, "ISA whose first separator is '|' while the rest use '*'",
             [rejected(MALFORMED, ("isa", "separator"))], build=lambda: wrong_sep_isa),
        Case("x12_isa_garbage_after.x12", x, "the letters ISA followed by random bytes",
             [rejected(MALFORMED, ("isa", "interchange", "header")), rejected(UNSUPPORTED, "binary")],
             build=lambda: b"ISA" + noise(300, "isa-garbage")),
        Case("x12_isa_only.x12", x, "a valid ISA segment and nothing else",
             [rejected(MALFORMED, ("gs", "st", *NO_CLAIMS, "iea", "incomplete", "end"), located=False)],
             build=lambda: isa_only),
        Case("x12_isa_gs_no_st.x12", x, "ISA, GS, GE, IEA with no transaction set",
             [rejected(MALFORMED, ("st", "transaction", *NO_CLAIMS), located=False)], build=lambda: isa_gs),
        Case("x12_gs_without_isa.x12", x, "an 837P that starts at GS (ISA missing)",
             [rejected(MALFORMED, "isa")], build=lambda: good[good.index(b"GS*"):]),
        Case("x12_837i.x12", x, "an institutional 837I (005010X223A2, SV2)",
             [rejected(UNSUPPORTED, ("837i", "institutional", "x223"))], build=lambda: i837),
        Case("x12_837d.x12", x, "a dental 837D (005010X224A2, SV3)",
             [rejected(UNSUPPORTED, ("837d", "dental", "x224"))], build=lambda: d837),
        Case("x12_837d_gs08_says_837p.x12", x, "dental SV3 lines under a GS08 that claims 005010X222A1",
             [rejected(UNSUPPORTED, ("837d", "dental", "sv3"))], build=lambda: d837_lie),
        Case("x12_4010.x12", x, "an 837 in the retired 004010 version",
             [rejected(UNSUPPORTED, ("4010", "00401", "version"))], build=lambda: v4010),
        Case("x12_835.x12", x, "an 835 remittance advice, not a claim",
             [rejected(UNSUPPORTED, ("835", "remittance", "x221"))], build=lambda: r835),
        Case("x12_270.x12", x, "a 270 eligibility inquiry, not a claim",
             [rejected(UNSUPPORTED, ("270", "eligibility", "x279"))], build=lambda: r270),
        Case("x12_component_separator_mismatch.x12", x,
             "ISA16 declares ':' but the body uses '>' between components",
             [rejected(MALFORMED, "component"), processed(ENV, min_claims=2, words=("component",))],
             build=lambda: comp_mismatch),
        Case("x12_missing_iea.x12", x, "a valid 837P without its IEA trailer",
             [processed(ENV, min_claims=2)], build=lambda: x12_good().rsplit(b"IEA", 1)[0]),
        Case("x12_wrong_se01.x12", x, "SE01 says 3 segments; the transaction has more",
             [processed(ENV, min_claims=2)],
             build=lambda: x12_837([x12_claim(2, "CLM001", sv1_line(1)),
                                    x12_claim(3, "CLM002", sv1_line(1))], se_count=3)),
        Case("x12_sv1_no_code.x12", x, "a claim whose SV1 has no procedure code; the other claim is good",
             [processed(X12C, min_claims=1)], build=lambda: _x12_claims_one_bad(sv1_line(1, "SV1*HC*400*UN*1***1"))),
        Case("x12_sv1_bad_charge_units.x12", x, "a claim whose SV1 charge and units are not numbers",
             [processed(X12C, min_claims=1)],
             build=lambda: _x12_claims_one_bad(sv1_line(1, "SV1*HC:71250*ABC*UN*XYZ***1"))),
        Case("x12_sv1_exponent_charge.x12", x, "SV102 charge written 1e999999 (X12 R elements have no exponent)",
             [processed(X12C, min_claims=1)],
             build=lambda: _x12_claims_one_bad(sv1_line(1, "SV1*HC:71250*1e999999*UN*1***1"))),
        Case("x12_sv1_exponent_units.x12", x, "SV104 units written 1e999999",
             [processed(X12C, min_claims=1)],
             build=lambda: _x12_claims_one_bad(sv1_line(1, "SV1*HC:71250*400*UN*1e999999***1"))),
        Case("x12_clm_exponent_total.x12", x, "CLM02 claim total written 1e999999",
             [processed(min_claims=2)],
             build=lambda: x12_good().replace(b"CLM*CLM002*400*", b"CLM*CLM002*1e999999*")),
        Case("x12_sv1_truncated.x12", x, "a claim whose SV1 segment is just 'SV1'",
             [processed(X12C, min_claims=1)], build=lambda: _x12_claims_one_bad(sv1_line(1, "SV1"))),
        Case("x12_bad_date_d8.x12", x, "DTP*472 with the impossible date 20261399",
             [processed(X12C, min_claims=1)],
             build=lambda: _x12_claims_one_bad(sv1_line(1, date="DTP*472*D8*20261399"))),
        Case("x12_bad_date_rd8.x12", x, "DTP*472 RD8 range cut short (20261101-2026)",
             [processed(X12C, min_claims=1)],
             build=lambda: _x12_claims_one_bad(sv1_line(1, date="DTP*472*RD8*20261101-2026"))),
        Case("x12_lx_without_clm.x12", x, "service lines under a subscriber HL with no CLM segment",
             [processed(X12C, min_claims=1)],
             build=lambda: x12_837([x12_claim(2, "CLM001", sv1_line(1)),
                                    [s for s in x12_claim(3, "CLM002", sv1_line(1)) if not s.startswith("CLM")]])),
        Case("x12_invalid_utf8.x12", x, "an 837P whose patient name holds the bytes FF FE (not UTF-8)",
             [rejected(MALFORMED, (*UTF8, "character", "byte")), processed(min_claims=1)],
             build=lambda: invalid_utf8),
        Case("x12_valid_canary.x12", x, "a valid 837P with canary patient name, member id and birth date",
             [processed(min_claims=2)], build=lambda: good),
        Case("x12_20mb_single_line.x12", x,
             "a valid ISA then a 20 MB segment with no terminator, under a 5 MB upload limit",
             [rejected(MALFORMED, TOO_BIG)], stream=write_x12_20mb_line, max_bytes=5 * MB),
        Case("x12_20mb_single_line_nolimit.x12", x,
             "the same 20 MB unterminated segment with no upload limit: the reader must not buffer it",
             [rejected(MALFORMED, TOO_BIG)], stream=write_x12_20mb_line, max_peak_mb=12),
    ]


def _csv_bad_value_cases(c: str) -> list[Case]:
    good = csv_row("C1")
    return [
        Case("csv_bad_dates.csv", c, "service_date 2026-13-45, birth_date 11/11/1911 and 2026-02-30",
             [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([good, csv_row("C2", service_date="2026-13-45", birth_date="11/11/1911"),
                                      csv_row("C3", service_date="2026-02-30")])),
        Case("csv_charge_negative.csv", c, "a charge of -400.00", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([good, csv_row("C2", charge="-400.00")])),
        Case("csv_charge_nan_infinity.csv", c, "charges NaN, Infinity and -inf", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([csv_row("C1", charge="NaN"), csv_row("C2", charge="Infinity"),
                                      csv_row("C3", charge="-inf")])),
        Case("csv_charge_absurd.csv", c, "charges 1e999999 and a 40-digit amount", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([csv_row("C1", charge="1e999999"), csv_row("C2", charge="9" * 40)])),
        Case("csv_units_negative_zero.csv", c, "units -1 and 0", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([csv_row("C1", units="-1"), csv_row("C2", units="0")])),
        Case("csv_units_absurd.csv", c, "units 1e999999, 10**5000 digits and 2.5", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([csv_row("C1", units="1e999999"), csv_row("C2", units="1" + "0" * 5000),
                                      csv_row("C3", units="2.5")])),
        Case("csv_units_text.csv", c, "units 'one'", [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([csv_row("C1", units="one")])),
        Case("csv_formula_injection.csv", c,
             "formula cells (=HYPERLINK, +cmd, -2+3, @SUM) in indication, history, credentials and claim_id",
             [processed(min_claims=2)],
             build=lambda: csv_bytes([csv_row("C1", indication=FORMULAS[0], history=FORMULAS[1],
                                              rendering_credentials=FORMULAS[2]),
                                      csv_row(FORMULAS[3], indication=FORMULAS[1])])),
        Case("csv_empty_claim_id.csv", c, "a row with an empty claim_id between good rows",
             [processed(ROW, min_claims=2)],
             build=lambda: csv_bytes([good, csv_row(""), csv_row("C3")])),
    ]


def _cases_csv() -> list[Case]:
    c = "csv"
    good = csv_row("C1")
    nul_late = csv_bytes([*csv_padded_rows(30), csv_row("C9", indication="a\x00b")])
    return [
        Case("csv_no_header.csv", c, "data rows without a header row",
             [rejected(MALFORMED, ("header", "claim_id"))], build=lambda: csv_bytes([good], header=good)),
        Case("csv_header_without_claim_id.csv", c, "a header that names id instead of claim_id",
             [rejected(MALFORMED, "claim_id")],
             build=lambda: csv_bytes([["C1", "71250", DOS]], header=["id", "procedure_code", "service_date"])),
        Case("csv_missing_procedure_code.csv", c, "a header without the procedure_code column",
             [rejected(MALFORMED, "procedure_code")],
             build=lambda: csv_bytes([["C1", DOS, "1"]], header=["claim_id", "service_date", "units"])),
        Case("csv_header_only.csv", c, "a header row and no claims",
             [rejected(MALFORMED, NO_CLAIMS, located=False)], build=lambda: csv_bytes([])),
        Case("csv_duplicate_header.csv", c, "a header naming procedure_code twice",
             [rejected(MALFORMED, ("twice", "duplicate", "more than once"))],
             build=lambda: csv_bytes([["C1", "71250", "71260"]],
                                     header=["claim_id", "procedure_code", "PROCEDURE_CODE"])),
        Case("csv_semicolon_separated.csv", c, "a CSV written with ';' as the separator (European Excel)",
             [rejected(UNSUPPORTED, ("semicolon", "comma", "separat", "delimit")),
              rejected(MALFORMED, ("semicolon", "comma", "separat", "delimit"))],
             build=lambda: csv_bytes([good], sep=";")),
        Case("csv_tab_separated.csv", c, "a CSV written with tabs as the separator",
             [rejected(UNSUPPORTED, ("tab", "comma", "separat", "delimit")),
              rejected(MALFORMED, ("tab", "comma", "separat", "delimit"))],
             build=lambda: csv_bytes([good], sep="\t")),
        Case("csv_wrong_cell_counts.csv", c, "rows with too few and too many cells among good rows",
             [processed(ROW, min_claims=2)],
             build=lambda: csv_bytes([good, good[:3], [*csv_row("C3"), "extra", "cells"], csv_row("C4")])),
        Case("csv_unclosed_quote.csv", c, "a cell that opens a quote and never closes it",
             [processed(ROW, min_claims=1, words=("quote",)), rejected(MALFORMED, ("quote", "line"))],
             build=lambda: csv_bytes([good]) + b'C2,1,M,N,F,2000-01-01,medicare,2026-11-02,11,71250,,1,"400\n'
             + csv_body([csv_row("C3"), csv_row("C4")])),
        Case("csv_invalid_utf8.csv", c, "a Latin-1 byte in the patient name of row 3",
             [rejected(MALFORMED, UTF8), processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([good, csv_row("C2", patient_last_name="ZZCANARYN\xc9ME")])
             .replace("ZZCANARYN\xc9ME".encode(), b"ZZCANARYN\xc9ME")),
        Case("csv_nul_in_head.csv", c, "a NUL byte in the first row",
             [rejected(UNSUPPORTED, ("binary", "nul")), rejected(MALFORMED, "nul")],
             build=lambda: csv_bytes([csv_row("C1", indication="a\x00b")])),
        Case("csv_nul_after_head.csv", c, "a NUL byte after the first 4 KB",
             [rejected(MALFORMED, "nul"), processed(ROW, min_claims=30)], build=lambda: nul_late),
        Case("csv_crlf.csv", c, "a valid CSV with CRLF line endings", [processed(min_claims=2)],
             build=lambda: csv_bytes([good, csv_row("C2")], eol="\r\n")),
        Case("csv_cr_only.csv", c, "a valid CSV with classic Mac CR-only line endings", [processed(min_claims=2)],
             build=lambda: csv_bytes([good, csv_row("C2")], eol="\r")),
        Case("csv_bom_header.csv", c, "a UTF-8 BOM before the header", [processed(min_claims=2)],
             build=lambda: b"\xef\xbb\xbf" + csv_bytes([good, csv_row("C2")])),
        Case("csv_valid_canary.csv", c, "a valid CSV with canary patient data; a 71271 for a 115-year-old",
             [processed("LDCT_AGE", min_claims=2)],
             build=lambda: csv_bytes([good, csv_row("C2", procedure_code="71271", diagnosis_codes="Z87.891")])),
        Case("csv_columns_swapped.csv", c,
             "the header names payer where the rows hold the birth date (a template that does not match the data)",
             [processed(ROW, min_claims=1)],
             build=lambda: csv_bytes([good], header=[{"payer": "birth_date", "birth_date": "payer"}.get(h, h)
                                                    for h in CSV_HEADER])),
        Case("csv_header_joined_with_row.csv", c,
             "the line break after the header is missing: the first data row continues the header line",
             [processed(ROW), rejected(MALFORMED, ("header", "column"))],
             build=lambda: csv_bytes([csv_row("C1", units="3", rendering_npi="", billing_npi=""),
                                      csv_row("C2")]).replace(b"\n", b"", 1)),
        *_csv_bad_value_cases(c),
        Case("csv_2mb_cell.csv", c, "a valid claim, then a claim with a 2 MB indication cell",
             [rejected(MALFORMED, TOO_BIG), processed(ROW, min_claims=1)], stream=write_csv_2mb_cell),
        Case("csv_20mb_single_line.csv", c, "a header then a 20 MB row with no line break, 5 MB upload limit",
             [rejected(MALFORMED, TOO_BIG)], stream=write_csv_20mb_line, max_bytes=5 * MB),
        Case("csv_20mb_single_line_nolimit.csv", c, "the same 20 MB row with no upload limit",
             [rejected(MALFORMED, TOO_BIG)], stream=write_csv_20mb_line, max_peak_mb=12),
    ]


def _cases_json() -> list[Case]:
    j = "json"
    good = json_claim("J1")
    good_raw = json.dumps(good).encode()
    full = json.loads(json_good())
    truncated = json_good()[: len(json_good()) // 2]
    jsonl = (json.dumps(json_claim("J1")) + "\n{not json}\n" + json.dumps(json_claim("J3")) + "\n").encode()
    jsonl_bad_field = (json.dumps(json_claim("J1")) + "\n" + json.dumps(json_claim("J2", [json_line(units="x")]))
                       + "\n").encode()
    no_claim_id = {k: v for k, v in json_claim("X").items() if k != "claim_id"}
    return [
        Case("json_units_string.json", j, "units given as the string 'two'", [processed(ROW, min_claims=2)],
             build=lambda: json_doc(good, json_claim("J2", [json_line(units="two")]))),
        Case("json_claim_id_number.json", j, "claim_id given as the number 12345 (no usable claim id)",
             [rejected(MALFORMED, "claim_id"), processed(ROW, min_claims=1)],
             build=lambda: json_doc(good, json_claim(12345))),
        Case("json_claim_id_missing.json", j, "a claim without claim_id",
             [rejected(MALFORMED, "claim_id"), processed(ROW, min_claims=1)],
             build=lambda: json_doc(good, no_claim_id)),
        Case("json_line_without_code.json", j, "a line without procedure_code", [processed(ROW, min_claims=2)],
             build=lambda: json_doc(good, json_claim("J3", [{"line": 1, "service_date": DOS}, json_line(2)]))),
        Case("json_wrong_types.json", j, "lines as a string, diagnosis_codes as a number, charge as a list",
             [processed(ROW, min_claims=2)],
             build=lambda: json_doc(good, json_claim("J2", lines="71250"),
                                    json_claim("J3", [json_line(diagnosis_codes=7, charge=[1]), json_line(2)]))),
        Case("json_extra_fields.json", j, "unknown fields at claim and line level",
             [processed(ROW, min_claims=1), processed(min_claims=1)],
             build=lambda: json_doc(json_claim("J1", [json_line(color="blue")], favourite=1))),
        Case("json_extra_top_level_field.json", j, "an unknown field next to format, version and claims",
             [rejected(MALFORMED, "producer"), processed(min_claims=1)],
             build=lambda: json_doc(good, producer="x")),
        Case("json_null_values.json", j, "lines: null and a line that is null", [processed(ROW, min_claims=1)],
             build=lambda: json_doc(good, json_claim("J2", lines=None), json_claim("J3", [None, json_line(2)]))),
        Case("json_bad_dates.json", j, "service_date 2026-02-30 and birth_date 11/11/1911",
             [processed(ROW, min_claims=2)],
             build=lambda: json_doc(good, json_claim("J2", [json_line(service_date="2026-02-30")],
                                                     birth_date="11/11/1911"))),
        Case("json_negative_charge_units.json", j, "charge -400 and units -1", [processed(ROW, min_claims=2)],
             build=lambda: json_doc(good, json_claim("J2", [json_line(charge=-400, units=-1)]))),
        Case("json_huge_exponent.json", j, "units and charge 1e999999",
             [processed(ROW, min_claims=1), rejected(MALFORMED, ("number", "large", "range"))],
             build=lambda: json_raw_doc(good_raw, b'{"claim_id": "J2", "lines": [{"procedure_code": "71250", '
                                        b'"units": 1e999999, "charge": 1e999999}]}')),
        Case("json_huge_integer.json", j, "units as a 5,001-digit integer (over Python's int parsing limit)",
             [processed(ROW, min_claims=1), rejected(MALFORMED, ("number", "digit", "large", "integer"))],
             build=lambda: json_raw_doc(good_raw, b'{"claim_id": "J2", "lines": [{"procedure_code": "71250", '
                                        b'"units": 1' + b"0" * 5000 + b"}]}")),
        Case("json_nan_literal.json", j, "units NaN and charge Infinity as bare JSON literals",
             [processed(ROW, min_claims=1), rejected(MALFORMED, ("nan", "number", "infinity"))],
             build=lambda: json_raw_doc(good_raw, b'{"claim_id": "J2", "lines": [{"procedure_code": "71250", '
                                        b'"units": NaN, "charge": Infinity}]}')),
        Case("json_top_level_array.json", j, "a bare array of claims instead of the format/version object",
             [rejected(MALFORMED, ("object", "format", "array", "list"))], build=lambda: json_bytes(full["claims"])),
        Case("json_top_level_number.json", j, "the JSON document 12345",
             [rejected(UNSUPPORTED, ("not x12", "json")), rejected(MALFORMED, ("object", "json"))],
             build=lambda: b"12345\n"),
        Case("json_top_level_string.json", j, 'the JSON document "claims"',
             [rejected(UNSUPPORTED, ("not x12", "json")), rejected(MALFORMED, ("object", "json"))],
             build=lambda: b'"claims"\n'),
        Case("json_top_level_null.json", j, "the JSON document null",
             [rejected(UNSUPPORTED, ("not x12", "json")), rejected(MALFORMED, ("object", "json"))],
             build=lambda: b"null\n"),
        Case("json_empty_object.json", j, "the JSON document {}",
             [rejected(MALFORMED, ("claims", "claim_id", "format"))], build=lambda: b"{}\n"),
        Case("json_no_envelope.json", j, "a claims list without format and version",
             [rejected(MALFORMED, ("format", "version"))], build=lambda: json_bytes({"claims": [good]})),
        Case("json_empty_claims.json", j, "a document whose claims list is empty",
             [rejected(MALFORMED, NO_CLAIMS, located=False)], build=lambda: json_doc()),
        Case("json_claims_not_list.json", j, "claims is a string", [rejected(MALFORMED, "claims")],
             build=lambda: json_bytes({"format": "ctscrub-claims", "version": 1, "claims": "C1,C2"})),
        Case("json_claim_not_object.json", j, "a claims list holding a number",
             [rejected(MALFORMED, ("object", "claims[1]")), processed(ROW, min_claims=1)],
             build=lambda: json_doc(good, 7)),
        Case("json_truncated.json", j, "a valid document cut in half",
             [rejected(MALFORMED, ("json", "end", "truncat"))], build=lambda: truncated),
        Case("json_invalid_utf8.json", j, "a Latin-1 byte inside the patient name",
             [rejected(MALFORMED, UTF8)],
             build=lambda: json_good().replace(CANARY_LAST.encode(), b"ZZCANARYN\xc9ME", 1)),
        Case("json_lines_one_bad.jsonl", j, "JSON Lines: two valid claims around a line that is not JSON",
             [rejected(MALFORMED, ("json", "line 2")), processed(ROW, min_claims=2)], build=lambda: jsonl),
        Case("json_lines_bad_field.jsonl", j, "JSON Lines: the second claim has units 'x'",
             [processed(ROW, min_claims=2)], build=lambda: jsonl_bad_field),
        Case("json_bom.json", j, "a valid document after a UTF-8 BOM", [processed(min_claims=2)],
             build=lambda: b"\xef\xbb\xbf" + json_good()),
        Case("json_valid_canary.json", j, "a valid document with canary patient data", [processed(min_claims=2)],
             build=json_good),
        Case("json_deep_nesting.json", j, "100,000 nested arrays",
             [rejected(MALFORMED, ("nest", "deep", "depth"), located=False)], stream=write_deep_json),
        Case("json_deep_nesting_object.json", j, "a claim that is 100,000 nested objects",
             [rejected(MALFORMED, ("nest", "deep", "depth"), located=False)], stream=write_deep_json_object),
        Case("json_20mb_single_line.json", j, "an unterminated 20 MB string, 5 MB upload limit",
             [rejected(MALFORMED, TOO_BIG)], stream=write_json_20mb_line, max_bytes=5 * MB),
        Case("json_30mb_document.json", j, "a 30 MB single JSON document with no upload limit (read whole)",
             [rejected(MALFORMED, TOO_BIG)], stream=write_json_30mb_document),
    ]


def cases() -> list[Case]:
    return [*_cases_general(), *_cases_compressed(), *_cases_x12(), *_cases_csv(), *_cases_json()]


def manifest() -> dict[str, Any]:
    return {
        "about": "Hostile and malformed uploads; generated by scripts/gen_hostile_corpus.py, run by "
                 "tests/test_hostile_corpus.py. 'accept' lists the outcomes an upload may end in.",
        "canaries": list(CANARIES),
        "formula_payloads": list(FORMULAS),
        "cases": [c.manifest_entry() for c in cases()],
    }


def manifest_bytes() -> bytes:
    return (json.dumps(manifest(), indent=1, ensure_ascii=True) + "\n").encode()


def write_corpus(out: Path) -> list[Path]:
    """Write every committed (small) case and the manifest into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    names = {c.name for c in cases()}
    for stale in out.iterdir():  # a case renamed or removed leaves no orphan behind
        if stale.is_file() and stale.name != MANIFEST_NAME and stale.name not in names:
            stale.unlink()
    written = []
    for case in cases():
        if case.generated:
            continue
        path = out / case.name
        case.write(path)
        written.append(path)
    (out / MANIFEST_NAME).write_bytes(manifest_bytes())
    return written


def check_corpus(out: Path) -> list[str]:
    """Differences between ``out`` and what this script generates (empty when up to date)."""
    problems = []
    expected = {c.name: c for c in cases() if not c.generated}
    for name, case in expected.items():
        path = out / name
        if not path.exists():
            problems.append(f"missing: {name}")
        elif case.build is not None and path.read_bytes() != case.build():
            problems.append(f"differs: {name}")
    manifest_path = out / MANIFEST_NAME
    if not manifest_path.exists() or manifest_path.read_bytes() != manifest_bytes():
        problems.append(f"differs: {MANIFEST_NAME}")
    for path in out.iterdir():
        if path.name != MANIFEST_NAME and path.name not in expected:
            problems.append(f"not generated by this script: {path.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=CORPUS_DIR)
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)
    if args.check:
        problems = check_corpus(args.out)
        for p in problems:
            print(p)
        return 1 if problems else 0
    written = write_corpus(args.out)
    n_gen = sum(1 for c in cases() if c.generated)
    print(f"wrote {len(written)} files and {MANIFEST_NAME} to {args.out} ({n_gen} more are generated at test time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
