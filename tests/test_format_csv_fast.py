"""CSV v1 reader internals: pieces split in C read exactly like lines read one by one, and the model objects
the reader builds without their ``__init__`` have every field set."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest
from ctscrub.formats import FileRejected, csv_v1, open_reader
from ctscrub.formats import fields as F
from ctscrub.formats.fields import FieldError
from ctscrub.model import Claim, Finding

HEADER = ("claim_id,line,member_id,patient_last_name,patient_first_name,birth_date,payer,service_date,"
          "place_of_service,procedure_code,modifiers,units,charge,diagnosis_codes,ordering_npi,rendering_npi,"
          "billing_npi,locality")
ROW = "C{n:05d},{k},M{n:05d},DOE,SAM,1960-03-16,medicare,2026-08-11,11,71250,{mods},1,{charge},R91.8;J18.9,"\
      "1234567893,1245319599,1234567893,05302-99"


def rows(count: int) -> list[str]:
    """Three lines per claim; every 97th charge is bad, so findings carry row numbers across pieces."""
    return [ROW.format(n=i // 3, k=i % 3 + 1, mods="26" if i % 2 else "",
                       charge="abc" if i % 97 == 5 else f"{100 + i % 50}.00") for i in range(count)]


def read_bytes(content: bytes) -> tuple[list[Claim], list[Finding]]:
    reader = open_reader(io.BytesIO(content))
    claims = list(reader.claims())
    return claims, reader.file_findings


def snapshot(claims: list[Claim]) -> list[tuple[object, ...]]:
    return [(c.claim_id, c.location, c.diagnosis_codes,
             [(ln.number, ln.procedure_code, ln.modifiers, ln.charge, ln.location) for ln in c.lines],
             [(f.line, f.message) for f in c.reader_findings]) for c in claims]


def test_every_model_field_is_set() -> None:
    """ServiceLine and Claim are built with object.__new__: a field added to the model must be set too."""
    content = (HEADER + ",contrast,order_signed,indication\n"
               + "\n".join(r + ",iv,yes,cough" for r in rows(400)) + "\n").encode()
    claims, _ = read_bytes(content)
    assert len(claims) > 100
    for claim in claims:
        for f in fields(Claim):
            getattr(claim, f.name)  # AttributeError: the reader does not set this field
        for line in claim.lines:
            for f in fields(type(line)):
                getattr(line, f.name)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_pieces_split_in_c_read_like_lines_read_one_by_one(eol: str) -> None:
    """The same rows, with a quote in one cell (that piece is read line by line by csv.reader) or without,
    and with LF or CRLF line ends, give the same claims, row numbers and findings."""
    plain = rows(2000)
    quoted = list(plain)
    quoted[1500] = quoted[1500].replace(",DOE,", ',"DOE",')  # csv.reader reads "DOE" as DOE
    expected = snapshot(read_bytes((HEADER + "\n" + "\n".join(plain) + "\n").encode())[0])
    for variant in (plain, quoted):
        claims, _ = read_bytes((HEADER + eol + eol.join(variant) + eol).encode())
        assert snapshot(claims) == expected
    bad = [f.message for c in read_bytes((HEADER + "\n" + "\n".join(plain)).encode())[0] for f in c.reader_findings]
    assert ("Row 1947, column charge is not a dollar amount such as 412.50; the line was checked without a "
            "charge.") in bad  # data row 1945 (97 * 20 + 5) is line 1947: the header is line 1, rows count from 0


@pytest.mark.parametrize("offset", range(8188, 8196))
def test_crlf_and_quoted_cells_across_the_read_boundary(offset: int) -> None:
    """A \\r\\n or a quoted multi-line cell that straddles the 8 KiB read boundary is read as one line break
    and one cell."""
    first = ROW.format(n=0, k=1, mods="", charge="10.00")
    head = (HEADER + "\r\n").encode()
    filler = offset - len(head) - len(first.encode())
    long_name = first.replace(",DOE,", "," + "D" * filler + ",")
    body = [long_name, *rows(300)[1:]]
    crlf, _ = read_bytes(head + "\r\n".join(body).encode() + b"\r\n")
    lf, _ = read_bytes((HEADER + "\n" + "\n".join(body) + "\n").encode())
    assert snapshot(crlf) == snapshot(lf)
    multi = first.replace(",DOE,", ',"' + "D" * filler + '\nstill the same cell",')
    claims, _ = read_bytes((HEADER + "\r\n" + "\r\n".join([multi, *rows(300)[1:]]) + "\r\n").encode())
    assert claims[0].patient_last_name == "D" * filler + "\nstill the same cell"
    assert [ln.location for ln in claims[1].lines] == ["row 6", "row 7", "row 8"]  # the cell spans lines 2-3


def test_rejection_far_into_the_file_names_the_line(tmp_path: Path) -> None:
    """Line numbers of a rejection count the line breaks of every piece before it."""
    lines = rows(3000)
    content = (HEADER + "\n" + "\n".join(lines[:2500]) + "\n").encode() + b"\xff" + "\n".join(lines[2500:]).encode()
    with pytest.raises(FileRejected) as info:
        read_bytes(content)
    assert "line 2502" in info.value.reason
    with pytest.raises(FileRejected) as info:
        read_bytes(content.replace(b"\xff", b"x" * (csv_v1.LINE_LIMIT + 1)))
    assert "line 2502 is too long" in info.value.reason


def test_a_last_block_holding_only_part_of_a_character_is_rejected() -> None:
    """A final read that decodes to no text is not the end of the file: the cut character is found."""
    content = (HEADER + "\n" + "\n".join(rows(100)) + "\n").encode()
    content += b"x" * (-len(content) % 8192) + b"\xc3"
    with pytest.raises(FileRejected) as info:
        read_bytes(content)
    assert "not valid UTF-8" in info.value.reason


@pytest.mark.parametrize(("numbers", "repeated"), [
    ("1 2 3", []), ("3 1 2", []), ("1 3 2 4", []), ("1 1 2", [3]), ("2 1 2", [4]), ("1 3 2 4 3", [6]),
    ("5 , 1", []), ("2 , 3", [3]), ("2 , 2", [3, 4]), (", 1", [3]),  # ",": an empty cell, numbered by position
])
def test_repeated_line_numbers_are_found_in_any_order(numbers: str, repeated: list[int]) -> None:
    """Rising line numbers are checked without a set of them: a number that does not rise is looked up among
    all the claim's numbers, given or by position (rows count from 2: the header is row 1)."""
    body = "".join(f"A,{'' if n == ',' else n},71250\n" for n in numbers.split())
    claims, _ = read_bytes(("claim_id,line,procedure_code\n" + body).encode())
    rows_reported = [int(f.message.split()[1].rstrip(",")) for f in claims[0].reader_findings]
    assert rows_reported == repeated


def _reference_parse_date(text: str) -> date | None:
    """parse_date as it was before its fast path (int() of three slices)."""
    s = text.strip()
    if not s:
        return None
    if len(s) != 10 or s[4] != "-" or s[7] != "-" or not frozenset("0123456789").issuperset(s[:4] + s[5:7] + s[8:]):
        raise FieldError("a YYYY-MM-DD date")
    try:
        return date(int(s[:4]), int(s[5:7]), int(s[8:]))
    except ValueError:
        raise FieldError("a YYYY-MM-DD date that exists on the calendar") from None


def test_parse_date_reads_and_refuses_exactly_what_it_did() -> None:
    """date.fromisoformat reads the common case: nothing else may be accepted (other digits, week dates, signs),
    and every refusal keeps its reason, without an inner error shown in a traceback."""
    def outcome(parse: Callable[[str], date | None], text: str) -> object:
        try:
            return parse(text)
        except FieldError as exc:
            return exc.expected, exc.__cause__, exc.__context__ is None or exc.__suppress_context__
    rng = random.Random(7)
    samples = ["2026-08-11", "2024-02-29", "2023-02-29", "0000-01-01", "0001-01-01", "9999-12-31", "2026-13-01",
               "2026-00-10", "2026-01-00", "2026-W1-01", "2026-W10-1", "20260302", "+026-01-01", "-026-01-01",
               " 2026-01-01 ", "2026-01-0\u0661", "\uff12026-01-01", "2026-01-1\u00b2", "2026-01-\ud800", ""]
    alphabet = "0123456789-W+ :.T\u0661\uff11\u00b2\ud800\t"
    for _ in range(20_000):
        text = list(rng.choice(samples[:9]))
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(text))
            text[i:i + rng.randint(0, 1)] = rng.choice(alphabet) * rng.randint(0, 1)
        samples.append("".join(text))
    for text in samples:
        assert outcome(F.parse_date, text) == outcome(_reference_parse_date, text), repr(text)
