"""CSV v1 reader: one row per service line, a header row naming the columns (see docs/FORMATS.md).

The text streams in pieces of whole lines, split into the records ``csv.reader`` would return (in C, except
for pieces with a quote); a claim is yielded as soon as the ``claim_id`` changes, so memory stays flat in
file size (only the set of claim ids already seen grows). Header indexes are mapped once and each
cell is looked up in a per-file memo table of parsed values, so most rows call no parser at all. A bad value
never stops the file: the field is cleared, the line is kept, and a ``ROW_MALFORMED`` finding on the claim
names the row, the column and what was expected, never the value.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO, Final, NoReturn

from ctscrub.formats import fields as F
from ctscrub.formats.errors import FileRejected
from ctscrub.formats.stream import PeekedStream
from ctscrub.model import DOC_ITEMS, NO_DOCUMENTATION, Claim, Documentation, Finding, Payer, ServiceLine, Severity
from ctscrub.rules.registry import finding

ONE: Final = F.ONE

LINE_LIMIT: Final = 1 << 20  # bytes in one physical line; longer lines reject the file

LINE_COLUMNS: Final = (
    "line", "service_date", "place_of_service", "procedure_code", "modifiers", "units", "charge",
    "diagnosis_codes", "ordering_npi", "rendering_npi",
)
CLAIM_COLUMNS: Final = (
    "claim_id", "member_id", "patient_last_name", "patient_first_name", "birth_date", "payer",
    "billing_npi", "locality",
)
DOC_COLUMNS: Final = ("contrast", "order_signed", "indication", "report_signed", "rendering_credentials", "history")
COLUMNS: Final = frozenset(LINE_COLUMNS + CLAIM_COLUMNS + DOC_COLUMNS)
REQUIRED: Final = ("claim_id", "procedure_code")
# Claim-level columns compared between a claim's rows (the first row's values are the ones used).
_CLAIM_LEVEL: Final = ("payer", "member_id", "patient_last_name", "patient_first_name", "birth_date", "billing_npi",
                "locality")

_MEMO_LIMIT = 4096  # distinct raw values memoized per column and file

_Error = tuple[str, str, str]  # (column, what was expected, what happened)
_UNSEEN: Final[Any] = object()  # a memo miss, where None is a memoized value (an empty cell)

_WHAT_HAPPENED: Final = {
    "units": "the line was checked as 1 unit",
    "line": "the line was numbered by its position in the claim",
    "procedure_code": "the line was kept without a procedure code",
    "payer": "the claim was checked as Medicare",
}


_READ_SIZE: Final = 8192  # bytes per read: TextIOWrapper's chunk size, see _Records

class _Records:
    """The records ``csv.reader`` returns, each with its first and last physical line, most split in C.

    Bytes are read in blocks and checked in C before anything is parsed: invalid UTF-8, NUL bytes and lines
    over ``LINE_LIMIT`` reject the file, naming the exact byte or line. The text is then handed on in pieces
    that end at a line break, each before the next block is read, so a file rejected part-way stops after the
    same rows as when it was read line by line through a ``TextIOWrapper`` (which reads 8 KiB at a time).

    The csv module parses character by character and was most of this reader's time. A line without a quote
    character is exactly its cells split on commas: the default dialect gives meaning only to the quote, the
    comma and the line break. So a piece with no quote, no lone ``\\r`` and no line over csv's field limit is
    split in a few C calls (into lines, then cells); any other piece is read line by line, and a line with a
    quote (a quoted cell may span lines, and pieces) or longer than the limit goes to ``csv.reader``.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0  # bytes read so far
        # Line breaks before the next block, for rejection messages: the "\n" of every piece handed on, counted
        # where the piece is split (the text after a piece holds none, nor do bytes the decoder holds back).
        self._breaks = 0
        self._since_break = 0  # bytes since the last line break
        self._pieces = self._read_pieces()
        self._piece = io.StringIO(newline="")  # the piece being read line by line
        self._limit = csv.field_size_limit()
        self.line_num = 0  # physical lines read so far, counted as csv.reader counts them

    # -- bytes to text --------------------------------------------------------------------------------
    def _too_long(self, line: int) -> NoReturn:
        raise FileRejected("FILE_MALFORMED", f"line {line} is too long (over {LINE_LIMIT:,} bytes)", f"line {line}",
                           "Check the file: one CSV v1 row is one service line, far shorter than 1 MB. "
                           "A missing line break or an unclosed quote can cause this.")

    def _read_text(self) -> str | None:
        """The text of the next block (empty when the block ends inside a character), None at the end."""
        chunk = self._source.read(_READ_SIZE)
        n = len(chunk)
        if n and b"\x00" in chunk:
            line = self._breaks + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
            raise FileRejected("FILE_MALFORMED", f"the file contains NUL bytes (line {line})", f"line {line}",
                               "Save the file as plain CSV UTF-8 text.")
        try:
            pending = len(self._decoder.getstate()[0])
            text = self._decoder.decode(chunk, final=not n)
        except UnicodeDecodeError as exc:
            pos = self._offset - pending + exc.start
            line = self._breaks + chunk.count(b"\n", 0, max(0, exc.start - pending)) + 1
            raise FileRejected("FILE_MALFORMED", f"the file is not valid UTF-8 text (byte {pos:,}, line {line})",
                               f"byte {pos:,}", "Save the file as CSV UTF-8 (in Excel: 'CSV UTF-8').") from None
        first_break = chunk.find(b"\n")  # a block is far shorter than LINE_LIMIT: only its ends can be too long
        if first_break < 0:
            self._since_break += n
            if self._since_break > LINE_LIMIT:
                self._too_long(self._breaks + 1)
        else:
            if self._since_break + first_break > LINE_LIMIT:
                self._too_long(self._breaks + 1)
            self._since_break = n - chunk.rfind(b"\n") - 1
        self._offset += n
        return text if n else None

    def _read_pieces(self) -> Iterator[str]:
        """The text in pieces that end at a line break (the last one at the end of the file)."""
        carry = ""
        text = self._read_text()
        if text:
            text = text.removeprefix("\ufeff")  # the byte order mark, as the utf-8-sig codec drops it
        while text is not None:
            text = carry + text
            # After the last line break whose end is known: a \r at the very end may be the start of a \r\n.
            cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
            if cut:
                yield text[:cut]
            carry = text[cut:]
            text = self._read_text()
        if carry:
            yield carry

    # -- text to records ------------------------------------------------------------------------------
    def _open(self, piece: str) -> None:
        """Read ``piece`` line by line from now on."""
        self._breaks += piece.count("\n")
        self._piece = io.StringIO(piece, newline="")  # splits lines as TextIOWrapper(newline="") does

    def _lines(self) -> Iterator[str]:
        """The lines left in the current piece, then in the pieces after it."""
        while True:
            line = self._piece.readline()
            if line:
                yield line
                continue
            piece = next(self._pieces, None)
            if piece is None:
                return
            self._open(piece)

    def _record(self, line: str) -> list[str]:
        """The cells of the record starting at ``line`` (read on for a quoted cell that spans lines)."""
        if '"' in line or len(line) > self._limit:
            quoted = csv.reader(itertools.chain((line,), self._lines()))
            try:
                row = next(quoted)
            except csv.Error as exc:
                n = self.line_num = self.line_num + quoted.line_num
                raise FileRejected(
                    "FILE_MALFORMED", f"line {n} cannot be read as CSV ({exc})", f"line {n}",
                    f"Check the quoting near line {n}: a quote opened in a cell must be closed.") from None
            self.line_num += quoted.line_num
            return row
        self.line_num += 1
        text = line.rstrip("\r\n")
        return text.split(",") if text else []

    def rows(self) -> Iterator[list[str]]:
        """The records one at a time (for the header)."""
        for line in self._lines():
            yield self._record(line)

    def batches(self) -> Iterator[Iterable[tuple[int, int, list[str]]]]:
        """The records after those ``rows`` gave, as (first line, last line, cells), a piece at a time (a blank
        line split in C is ``[""]`` where csv.reader gives ``[]``: both are a blank row to the reader)."""
        yield self._by_line()  # the rest of the header's piece
        for piece in self._pieces:
            if '"' not in piece and len(piece) <= self._limit:
                plain = piece.replace("\r\n", "\n") if "\r" in piece else piece  # no piece ends inside a \r\n
                if "\r" not in plain:
                    lines = plain.split("\n")
                    self._breaks += len(lines) - 1
                    if not lines[-1]:
                        lines.pop()  # after the last line break
                    first = self.line_num + 1
                    self.line_num += len(lines)
                    numbers = range(first, self.line_num + 1)  # one line per record
                    yield zip(numbers, numbers, map(str.split, lines, itertools.repeat(",")), strict=True)
                    continue
            self._open(piece)
            yield self._by_line()

    def _by_line(self) -> Iterator[tuple[int, int, list[str]]]:
        """The records starting in the current piece (a quoted cell may read on into the next ones, which are
        then read line by line to their end)."""
        while line := self._piece.readline():
            first = self.line_num + 1
            row = self._record(line)
            yield first, self.line_num, row


def _message(row: int, column: str, expected: str, outcome: str) -> tuple[str, str]:
    """Row, column and what was expected, never the value: when a file's columns are shifted or swapped,
    any column can hold a name, member id or birth date."""
    return (f"Row {row}, column {column} is not {expected}; {outcome}.",
            f"Correct column {column} in row {row}: it must be {expected}.")


class Reader:
    format_name = "csv-v1"

    def __init__(self, stream: PeekedStream) -> None:
        self._stream = stream
        self.file_findings: list[Finding] = []

    # -- header ---------------------------------------------------------------------------------------
    def _header(self, rows: Iterator[list[str]], line_num: Callable[[], int]) -> tuple[dict[str, int], int]:
        for header in rows:
            if any(c.strip() for c in header):
                break
        else:
            raise FileRejected("FILE_MALFORMED", "the file has no header row", "line 1",
                               "Add the CSV v1 header row (claim_id, procedure_code, ...); see docs/FORMATS.md.")
        where = f"line {line_num()}"
        index: dict[str, int] = {}
        for i, cell in enumerate(header):
            name = cell.strip().lower()
            if not name:
                continue
            if name in index:
                # Quote only a known column name: a header cell may be a patient value when the header
                # and the first row run together, so an unknown cell is named by its position only.
                what = name if name in COLUMNS else f"in position {i + 1}"
                raise FileRejected("FILE_MALFORMED", f"the header names column {what} twice", where,
                                   "Remove the repeated column from the header row.")
            index[name] = i
        missing = [c for c in REQUIRED if c not in index]
        if missing:
            raise FileRejected("FILE_MALFORMED",
                               "the header row is missing the required column(s) " + ", ".join(missing), where,
                               "Add the CSV v1 header row with at least claim_id and procedure_code; "
                               "see docs/FORMATS.md.")
        unknown = [(i, n) for n, i in index.items() if n not in COLUMNS]
        if unknown:
            # Never quote an unknown header cell (it may be a patient value, see above); name its position,
            # and the known column it most likely misspells.
            described = []
            for i, n in unknown[:10]:
                close = difflib.get_close_matches(n, sorted(COLUMNS), n=1, cutoff=0.8)
                described.append(f"position {i + 1}" + (f" (did you mean {close[0]}?)" if close else ""))
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            self.file_findings.append(finding(
                "ROW_MALFORMED", None, None,
                "The header row has column(s) that CSV v1 does not define and that were ignored: "
                f"{', '.join(described)}{more}.",
                "Check these column names against docs/FORMATS.md; a header that runs into the first row "
                "(a missing line break) also shows up here.",
                severity=Severity.WARNING))
        return index, len(header)

    # -- rows -----------------------------------------------------------------------------------------
    def claims(self) -> Iterator[Claim]:
        return self._claims(_Records(self._stream.binary))

    def _claims(self, records: _Records) -> Iterator[Claim]:
        index, width = self._header(records.rows(), lambda: records.line_num)
        # Absent columns point at an empty cell appended to each row, so the hot loop never branches on them.
        ix = {name: index.get(name, width) for name in COLUMNS}
        i_claim, i_line, i_dos, i_pos = ix["claim_id"], ix["line"], ix["service_date"], ix["place_of_service"]
        i_code, i_mods, i_units, i_charge = ix["procedure_code"], ix["modifiers"], ix["units"], ix["charge"]
        i_dx, i_ord, i_rend = ix["diagnosis_codes"], ix["ordering_npi"], ix["rendering_npi"]
        i_member, i_last, i_first = ix["member_id"], ix["patient_last_name"], ix["patient_first_name"]
        i_birth, i_payer, i_billing, i_locality = ix["birth_date"], ix["payer"], ix["billing_npi"], ix["locality"]
        doc_cols = _doc_indexes(ix) if any(name in index for name in DOC_COLUMNS) else None
        # (appended only when a column the loop reads is absent: most files have them all)
        pad = any(name not in index for name in LINE_COLUMNS + CLAIM_COLUMNS + (DOC_COLUMNS if doc_cols else ()))
        claim_level = _ClaimCells(ix, frozenset(item for item, col in DOC_ITEMS.items() if col in index))
        new_claim, claim_cells = claim_level.new_claim, claim_level.cells
        cells = _LineCells(ix)
        parse_line, merged_dx, merge_dx = cells.parse, cells.merged_diagnoses, cells.merge_diagnoses
        line_numbers, codes, dates, units_memo = cells.numbers, cells.codes, cells.dates, cells.units
        charges, modifier_lists, places, diagnoses, npis = (cells.charges, cells.modifiers, cells.places,
                                                            cells.diagnoses, cells.npis)
        claim_level_ix = [(name, ix[name]) for name in _CLAIM_LEVEL if name in index]

        current: Claim | None = None
        lines: list[ServiceLine] = []
        first_row: list[str] = []
        # The claim's first row's claim-level cells (None before the first claim: no cell equals it).
        f_member: str | None = None
        f_last = f_first = f_billing = f_birth = f_payer = f_locality = f_claim = f_member
        claim_pos: str | None = None
        claim_dx: tuple[str, ...] = ()
        last_number = 0  # the claim's last line number, while its numbers only rise (then none repeats)
        used_numbers: set[int] | None = None  # the claim's line numbers, once one did not rise
        yielded: set[str] = set()
        new_line = ServiceLine.__new__  # see new_claim

        for row_no, end, row in itertools.chain.from_iterable(records.batches()):
            if len(row) != width and not self._fit(row, row_no, end, width, i_claim, current):
                continue
            if pad:
                row.append("")
            # A row continues the claim when its claim-level cells equal the first row's: compared one by one,
            # which costs less than a tuple of them per row.
            if (row[i_claim] != f_claim or row[i_member] != f_member or row[i_last] != f_last
                    or row[i_first] != f_first or row[i_billing] != f_billing or row[i_birth] != f_birth
                    or row[i_payer] != f_payer or row[i_locality] != f_locality):
                claim_id = row[i_claim].strip()
                if not claim_id:
                    self._no_claim_id(row, row_no)
                    continue
                if current is None or claim_id != current.claim_id:
                    if current is not None:
                        yielded.add(current.claim_id)
                        current.diagnosis_codes = claim_dx
                        yield current
                    first_cells = claim_cells(row)
                    f_member, f_last, f_first, f_billing, f_birth, f_payer, f_locality, f_claim = first_cells
                    current = new_claim(claim_id, first_cells, row_no)
                    if claim_id in yielded:
                        current.reader_findings.append(_not_contiguous(current, row_no))
                    lines = current.lines
                    first_row, claim_pos, claim_dx = row, None, ()
                    last_number, used_numbers = 0, None
                else:
                    for name, i in claim_level_ix:
                        if row[i] != first_row[i] and row[i].strip() != first_row[i].strip():
                            m, s = _differs(row_no, name, current.location or "")
                            current.reader_findings.append(
                                finding("ROW_MALFORMED", current, None, m, s, severity=Severity.WARNING))
            assert current is not None  # the first row with a claim id starts a claim

            # Memo hits first: the memos hold only values that parsed cleanly, so a row whose cells all hit
            # needs no checks; on a miss, ``parse`` parses the cells the memos lack and reports bad values.
            errors: list[_Error] | None
            try:
                number = line_numbers[row[i_line]]
                code = codes[row[i_code]]
                dos = dates[row[i_dos]]
                units = units_memo[row[i_units]]
                charge = charges[row[i_charge]]
                mods = modifier_lists[row[i_mods]]
                pos = places[row[i_pos]]
                dx = diagnoses[row[i_dx]]
                ordering = npis[row[i_ord]]
                rendering = npis[row[i_rend]]
                errors = None
            except KeyError:
                number, code, dos, units, charge, mods, pos, dx, ordering, rendering, errors = parse_line(row)
            if not number:
                number = len(lines) + 1
            # Built without the generated __init__ (a call that first stores 13 defaults; this way a line costs
            # a third less): every field is set here, and tests/test_format_csv_fast.py checks none is missed.
            line = new_line(ServiceLine)
            line.number = number
            line.procedure_code = code
            line.modifiers = mods
            line.units = units
            line.charge = charge
            line.service_date = dos
            line.service_date_end = None
            line.place_of_service = pos or claim_pos
            line.diagnosis_codes = dx
            line.diagnosis_pointers_invalid = ()
            line.ordering_npi = ordering
            line.rendering_npi = rendering
            line.line_control = None
            if doc_cols:
                errors = errors or []
                line.documentation = _documentation(row, doc_cols, errors)
            else:
                line.documentation = NO_DOCUMENTATION
            line.where = "row "  # with the number: "row 12", put together when a message asks
            line.where_no = row_no
            if end > row_no and _looks_swallowed(row, width):
                current.reader_findings.append(finding(
                    "ROW_MALFORMED", current, line, f"Row {row_no}:" + _swallowed(row_no, end),
                    f"Close the quote opened in row {row_no}, or remove it; then upload the file again."))
            if number > last_number:  # rising numbers need no set of the ones used
                last_number = number
            else:
                if used_numbers is None:
                    used_numbers = {ln.number for ln in lines}
                    last_number = sys.maxsize  # from now on every number is looked up in the set
                if number in used_numbers:
                    errors = [*(errors or ()), ("line", f"a line number not used earlier in claim {current.claim_id}",
                                                "both lines were checked")]
                used_numbers.add(number)
            lines.append(line)
            if dx and dx is not claim_dx:  # the claim's codes: its lines' codes in order, each once
                if claim_dx:
                    key = (claim_dx, dx)
                    claim_dx = merged_dx.get(key) or merge_dx(key)
                else:
                    claim_dx = dx
            if errors:
                _report(current, line, row_no, errors)
            if row is first_row:
                current.place_of_service = claim_pos = line.place_of_service
        if current is not None:
            current.diagnosis_codes = claim_dx
            yield current

    def _fit(self, row: list[str], row_no: int, last_line: int, width: int, i_claim: int,
             current: Claim | None) -> bool:
        """Whether a row whose cell count differs from the header's is a line: trailing empty cells are
        dropped; blank lines are skipped; any other width is reported."""
        n_cells = len(row)
        if n_cells == 0 or not any(c.strip() for c in row):
            return False  # blank line
        if n_cells < width or any(c.strip() for c in row[width:]):
            self._wrong_width(row, row_no, last_line, n_cells, width, i_claim, current)
            return False
        del row[width:]  # trailing empty cells, as some spreadsheets write them
        return True

    def _no_claim_id(self, row: list[str], row_no: int) -> None:
        if any(c.strip() for c in row):
            self.file_findings.append(finding(
                "ROW_MALFORMED", None, None, f"Row {row_no} has no claim_id; the row was not checked.",
                f"Fill in claim_id in row {row_no} (every row is a service line of a claim)."))

    def _wrong_width(self, row: list[str], row_no: int, last_line: int, n_cells: int, width: int, i_claim: int,
                     current: Claim | None) -> None:
        claim_id = row[i_claim].strip() if i_claim < n_cells else ""
        message = (f"Row {row_no} has {n_cells} cells but the header has {width}; the row was not checked "
                   "(its cells cannot be matched to columns).")
        suggestion = f"Fix row {row_no} so it has one cell per header column; quote cells that contain commas."
        if last_line > row_no:
            message += _swallowed(row_no, last_line)
            suggestion = f"Close the quote opened in row {row_no}, or remove it; then upload the file again."
        if current is not None and claim_id == current.claim_id:
            current.reader_findings.append(finding("ROW_MALFORMED", current, None, message, suggestion))
            return
        f = finding("ROW_MALFORMED", None, None, message, suggestion)
        f.claim_id = claim_id or None
        self.file_findings.append(f)



def _remember(memo: dict[str, Any], raw: str, value: Any) -> None:
    if len(memo) < _MEMO_LIMIT:  # a full memo keeps the values seen first; later ones are parsed each time
        memo[raw] = value


def _parsed(memo: dict[str, Any], parse: Callable[[str], Any], raw: str, column: str, outcome: str,
            fallback: Any, errors: list[_Error]) -> Any:
    """``parse(raw)`` memoized; on a bad value, ``fallback`` and an error for the report (never memoized)."""
    try:
        value = parse(raw)
    except F.FieldError as exc:
        errors.append((column, exc.expected, outcome))
        return fallback
    _remember(memo, raw, value)
    return value


def _memoized(memo: dict[str, Any], parse: Callable[[str], Any], raw: str) -> Any:
    """``parse(raw)`` memoized, for a parser that accepts any text."""
    value = parse(raw)
    _remember(memo, raw, value)
    return value


def _line_number(raw: str) -> int:
    return F.parse_line_number(raw) or 0  # 0: not given, the reader numbers the line by its position


class _LineCells:
    """The line-level columns of one file: memo tables from raw cell to parsed value, and the parse that
    reports bad values and fills them. A memo never holds a value that needed a finding."""

    def __init__(self, ix: dict[str, int]) -> None:
        self._cells = itemgetter(ix["line"], ix["procedure_code"], ix["service_date"], ix["units"], ix["charge"],
                                 ix["modifiers"], ix["place_of_service"], ix["diagnosis_codes"],
                                 ix["ordering_npi"], ix["rendering_npi"])
        self.numbers: dict[str, int] = {}
        self.codes: dict[str, str] = {}
        self.dates: dict[str, date | None] = {}
        self.units: dict[str, Decimal] = {}
        self.charges: dict[str, Decimal | None] = {}
        self.modifiers: dict[str, tuple[str, ...]] = {}
        self.places: dict[str, str | None] = {}
        self.diagnoses: dict[str, tuple[str, ...]] = {}
        self.npis: dict[str, str | None] = {}
        # (codes so far, a line's codes) -> both merged: lines of a claim repeat a few diagnosis lists
        self.merged_diagnoses: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] = {}

    def parse(self, row: list[str]) -> tuple[Any, ...]:
        """number (0: by position), code, date, units, charge, modifiers, place, diagnoses, ordering and
        rendering NPI, and the errors found, in column order. Cells that hit their memo are not parsed
        again, so a column with more distinct values than a memo holds costs only its own parse."""
        v_line, v_code, v_dos, v_units, v_charge, v_mods, v_pos, v_dx, v_ord, v_rend = self._cells(row)
        errors: list[_Error] = []
        number = self.numbers.get(v_line, _UNSEEN)
        if number is _UNSEEN:
            number = _parsed(self.numbers, _line_number, v_line, "line", _WHAT_HAPPENED["line"], 0, errors)
        code = self.codes.get(v_code, _UNSEEN)
        if code is _UNSEEN:
            code = _parsed(self.codes, F.parse_procedure_code, v_code, "procedure_code",
                           _WHAT_HAPPENED["procedure_code"], "", errors)
        dos = self.dates.get(v_dos, _UNSEEN)
        if dos is _UNSEEN:
            dos = _parsed(self.dates, F.parse_date, v_dos, "service_date",
                          "the line was checked without a date of service", None, errors)
        units = self.units.get(v_units, _UNSEEN)
        if units is _UNSEEN:
            units = _parsed(self.units, F.parse_units, v_units, "units", _WHAT_HAPPENED["units"], ONE, errors)
        charge = self.charges.get(v_charge, _UNSEEN)
        if charge is _UNSEEN:
            charge = _parsed(self.charges, F.parse_money, v_charge, "charge",
                             "the line was checked without a charge", None, errors)
        mods = self.modifiers.get(v_mods)
        if mods is None:
            mods = F.split_modifiers(v_mods)
            if len(mods) > F.MAX_MODIFIERS:
                errors.append(("modifiers", "at most 4 modifiers", "all of them were checked"))
            else:
                _remember(self.modifiers, v_mods, mods)
        pos = self.places.get(v_pos, _UNSEEN)
        if pos is _UNSEEN:
            pos = _memoized(self.places, F.parse_place_of_service, v_pos)
        dx = self.diagnoses.get(v_dx)
        if dx is None:
            dx = _memoized(self.diagnoses, F.split_diagnoses, v_dx)
        ordering = self.npis.get(v_ord, _UNSEEN)
        if ordering is _UNSEEN:
            ordering = _memoized(self.npis, F.parse_npi, v_ord)
        rendering = self.npis.get(v_rend, _UNSEEN)
        if rendering is _UNSEEN:
            rendering = _memoized(self.npis, F.parse_npi, v_rend)
        return number, code, dos, units, charge, mods, pos, dx, ordering, rendering, errors

    def merge_diagnoses(self, key: tuple[tuple[str, ...], tuple[str, ...]]) -> tuple[str, ...]:
        """The codes of ``key[0]``, then those of ``key[1]`` not among them; memoized."""
        merged = tuple(dict.fromkeys(key[0] + key[1]))
        if len(self.merged_diagnoses) < _MEMO_LIMIT:
            self.merged_diagnoses[key] = merged
        return merged


class _ClaimCells:
    """The claim-level columns of one file, read from a claim's first row; memoized like ``_LineCells``."""

    def __init__(self, ix: dict[str, int], documented: frozenset[str]) -> None:
        # A row's claim-level cells and claim id, in one C call. The hot loop compares them with the claim's
        # first row's: when equal, the row continues the claim and nothing about the claim needs checking.
        self.cells = itemgetter(ix["member_id"], ix["patient_last_name"], ix["patient_first_name"],
                                ix["billing_npi"], ix["birth_date"], ix["payer"], ix["locality"], ix["claim_id"])
        self._documented = documented
        self._dates: dict[str, date | None] = {}
        self._payers: dict[str, Payer] = {}
        self._localities: dict[str, str | None] = {}

    def new_claim(self, claim_id: str, cells: tuple[str, ...], row_no: int) -> Claim:
        """The claim a row starts, from the row's ``cells``; bad values are reported, never echoed."""
        member, last, first, billing, birth, payer, locality, _ = cells
        errors: list[_Error] = []
        birth_date = self._dates.get(birth, _UNSEEN)
        if birth_date is _UNSEEN:
            birth_date = _parsed(self._dates, F.parse_date, birth, "birth_date",
                                 "the claim was checked without a birth date", None, errors)
        payer_value = self._payers.get(payer, _UNSEEN)
        if payer_value is _UNSEEN:
            payer_value = _parsed(self._payers, F.parse_payer, payer, "payer", _WHAT_HAPPENED["payer"],
                                  Payer.MEDICARE, errors)
        locality_value = self._localities.get(locality, _UNSEEN)
        if locality_value is _UNSEEN:
            locality_value = _parsed(self._localities, F.parse_locality, locality, "locality",
                                     "national amounts were used", None, errors)
        # Every field set, as for ServiceLine in the hot loop. Claim's own __new__ (object's in Python): a compiled
        # build's (scripts/build_compiled.py) allocates the compiled class, which object.__new__ refuses to.
        claim = Claim.__new__(Claim)
        claim.claim_id = claim_id
        claim.lines = []
        claim.payer = payer_value
        claim.payer_type_code = None
        claim.member_id = member.strip() or None
        claim.patient_last_name = last.strip() or None
        claim.patient_first_name = first.strip() or None
        claim.birth_date = birth_date
        claim.billing_npi = billing.strip() or None
        claim.ordering_npi = None
        claim.rendering_npi = None
        claim.place_of_service = None
        claim.frequency_code = None
        claim.has_original_reference = False
        claim.total_charge = None
        claim.diagnosis_codes = ()
        claim.locality = locality_value
        claim.documented = self._documented
        claim.where = "row "
        claim.where_no = row_no
        claim.reader_findings = []
        if errors:
            _report(claim, None, row_no, errors)
        return claim


def _report(claim: Claim, line: ServiceLine | None, row_no: int, errors: list[_Error]) -> None:
    for column, expected, outcome in errors:
        m, s = _message(row_no, column, expected, outcome)
        claim.reader_findings.append(finding("ROW_MALFORMED", claim, line, m, s))


def _not_contiguous(claim: Claim, row_no: int) -> Finding:
    return finding("ROW_MALFORMED", claim, None,
                   f"The rows of claim {claim.claim_id} are not contiguous (row {row_no} follows another claim); "
                   "the separated groups of rows were checked as separate claims.",
                   "Keep all rows of a claim together, one after the other.", severity=Severity.WARNING)


def _doc_indexes(ix: dict[str, int]) -> tuple[int, ...]:
    return tuple(ix[name] for name in DOC_COLUMNS)


# Exact spellings seen in practice, looked up before the general parsers run.
_CONTRAST_FAST: Final[dict[str, str | None]] = {"": None, "none": "none", "iv": "iv", "oral": "oral", "None": "none",
                                         "IV": "iv", "Oral": "oral", "NONE": "none", "ORAL": "oral"}
_YES_NO_FAST: Final[dict[str, bool | None]] = {"": None, "yes": True, "no": False, "Yes": True, "No": False,
                                        "YES": True, "NO": False, "y": True, "n": False, "Y": True, "N": False}


def _documentation(row: list[str], cols: tuple[int, ...], errors: list[_Error]) -> Documentation:
    """The documentation columns of one row (absent columns point at the empty pad cell)."""
    i_contrast, i_order, i_ind, i_report, i_cred, i_hist = cols
    v = row[i_contrast]
    contrast = _CONTRAST_FAST.get(v, _UNSEEN)
    if contrast is _UNSEEN:
        contrast = _doc_value(F.parse_contrast, "contrast", v, errors)
    v = row[i_order]
    order = _YES_NO_FAST.get(v, _UNSEEN)
    if order is _UNSEEN:
        order = _doc_value(F.parse_yes_no, "order_signed", v, errors)
    v = row[i_report]
    report = _YES_NO_FAST.get(v, _UNSEEN)
    if report is _UNSEEN:
        report = _doc_value(F.parse_yes_no, "report_signed", v, errors)
    return Documentation(contrast=contrast, order_signed=order, indication=row[i_ind].strip() or None,  # type: ignore[arg-type]
                         report_signed=report, rendering_credentials=row[i_cred].strip() or None,  # type: ignore[arg-type]
                         history=row[i_hist].strip() or None)


def _doc_value(parse: Callable[[str], Any], column: str, raw: str, errors: list[_Error]) -> Any:
    try:
        return parse(raw)
    except F.FieldError as exc:
        errors.append((column, exc.expected, "the line was checked as if the item were not documented"))
        return None


def _swallowed(first: int, last: int) -> str:
    return (f" A quoted cell opened in row {first} runs to line {last}: lines {first + 1}-{last} were read as "
            "part of that cell and were not checked as rows (an unclosed quote?).")


def _looks_swallowed(row: list[str], width: int) -> bool:
    """A multi-line cell holding a line that has a row's worth of commas: rows eaten by an open quote."""
    for cell in row:
        if "\n" in cell or "\r" in cell:
            for part in cell.splitlines()[1:]:
                if part.count(",") >= max(3, width - 2):
                    return True
    return False


def _differs(row_no: int, column: str, first: str) -> tuple[str, str]:
    return (f"Row {row_no}, column {column} differs from the claim's first row ({first}); the first row's value "
            "was used for the whole claim.",
            f"Give every row of a claim the same {column}, or split the rows into separate claims.")

