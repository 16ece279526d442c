"""CSV v1 reader: one row per service line, a header row naming the columns (see docs/FORMATS.md).

Rows stream through ``csv.reader`` over a ``TextIOWrapper``; a claim is yielded as soon as the
``claim_id`` changes, so memory stays flat in file size (only the set of claim ids already seen grows).
Header indexes are mapped once and each row is parsed with plain string methods and memo tables (a few
microseconds a row). A bad value never stops the file: the field is cleared, the line is kept, and a
``ROW_MALFORMED`` finding on the claim names the row, the column and what was expected, never the value.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO

from ctscrub.formats import fields as F
from ctscrub.formats.errors import FileRejected
from ctscrub.formats.stream import PeekedStream
from ctscrub.model import DOC_ITEMS, Claim, Documentation, Finding, Payer, ServiceLine, Severity
from ctscrub.rules.registry import finding

ONE = F.ONE

LINE_LIMIT = 1 << 20  # bytes in one physical line; longer lines reject the file

LINE_COLUMNS = (
    "line", "service_date", "place_of_service", "procedure_code", "modifiers", "units", "charge",
    "diagnosis_codes", "ordering_npi", "rendering_npi",
)
CLAIM_COLUMNS = (
    "claim_id", "member_id", "patient_last_name", "patient_first_name", "birth_date", "payer",
    "billing_npi", "locality",
)
DOC_COLUMNS = ("contrast", "order_signed", "indication", "report_signed", "rendering_credentials", "history")
COLUMNS = frozenset(LINE_COLUMNS + CLAIM_COLUMNS + DOC_COLUMNS)
REQUIRED = ("claim_id", "procedure_code")
# Claim-level columns compared between a claim's rows (the first row's values are the ones used).
_CLAIM_LEVEL = ("payer", "member_id", "patient_last_name", "patient_first_name", "birth_date", "billing_npi",
                "locality")

# Line numbers as they are written in practice, so most rows skip parsing them.
_LINE_NUMBERS: dict[str, int] = {str(n): n for n in range(1, 1000)}
_MEMO_LIMIT = 4096  # distinct raw values memoized per column and file

_WHAT_HAPPENED = {
    "units": "the line was checked as 1 unit",
    "line": "the line was numbered by its position in the claim",
    "procedure_code": "the line was kept without a procedure code",
    "payer": "the claim was checked as Medicare",
}


class _CheckedBytes(io.RawIOBase):
    """Passes the upload's bytes through, rejecting invalid UTF-8, NUL bytes and over-long lines.

    Checks run per 64 KB chunk in C (decode, ``count``, ``rfind``), so ``csv.reader`` can sit on a plain
    ``TextIOWrapper`` and the per-row cost stays in C, while an error still names its exact byte and line.
    """

    def __init__(self, source: BinaryIO) -> None:
        self._source = source
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._offset = 0  # bytes passed through so far
        self._lines = 0  # line breaks passed through so far
        self._since_break = 0  # bytes since the last line break

    def readable(self) -> bool:
        return True

    def _too_long(self) -> None:
        line = self._lines + 1
        raise FileRejected("FILE_MALFORMED", f"line {line} is too long (over {LINE_LIMIT:,} bytes)", f"line {line}",
                           "Check the file: one CSV v1 row is one service line, far shorter than 1 MB. "
                           "A missing line break or an unclosed quote can cause this.")

    def readinto(self, buf: Any) -> int:
        chunk = self._source.read(len(buf))
        n = len(chunk)
        if n and b"\x00" in chunk:
            line = self._lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
            raise FileRejected("FILE_MALFORMED", f"the file contains NUL bytes (line {line})", f"line {line}",
                               "Save the file as plain CSV UTF-8 text.")
        try:
            pending = len(self._decoder.getstate()[0])
            self._decoder.decode(chunk, final=not n)
        except UnicodeDecodeError as exc:
            pos = self._offset - pending + exc.start
            line = self._lines + chunk.count(b"\n", 0, max(0, exc.start - pending)) + 1
            raise FileRejected("FILE_MALFORMED", f"the file is not valid UTF-8 text (byte {pos:,}, line {line})",
                               f"byte {pos:,}", "Save the file as CSV UTF-8 (in Excel: 'CSV UTF-8').") from None
        first_break = chunk.find(b"\n")
        if first_break < 0:
            self._since_break += n
        else:
            longest = self._since_break + first_break
            if n > LINE_LIMIT:  # only a huge read can hold a whole over-long line between two breaks
                longest = max([longest, *(len(x) for x in chunk.split(b"\n")[1:-1])])
            if longest > LINE_LIMIT:
                self._too_long()
            self._lines += chunk.count(b"\n")
            self._since_break = n - chunk.rfind(b"\n") - 1
        if self._since_break > LINE_LIMIT:
            self._too_long()
        buf[:n] = chunk
        self._offset += n
        return n


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
        text = io.TextIOWrapper(io.BufferedReader(_CheckedBytes(self._stream.binary), 1 << 16),
                                encoding="utf-8-sig", newline="")
        rdr = csv.reader(text)
        try:
            yield from self._claims(rdr)
        except csv.Error as exc:
            n = rdr.line_num
            raise FileRejected("FILE_MALFORMED", f"line {n} cannot be read as CSV ({exc})", f"line {n}",
                               f"Check the quoting near line {n}: a quote opened in a cell must be closed.") from None

    def _claims(self, rdr: Any) -> Iterator[Claim]:
        index, width = self._header(rdr, lambda: rdr.line_num)
        # Absent columns point at a cell appended to every row, so the hot loop never branches on them.
        pad = width
        ix = {name: index.get(name, pad) for name in COLUMNS}
        i_claim, i_line, i_dos, i_pos = ix["claim_id"], ix["line"], ix["service_date"], ix["place_of_service"]
        i_code, i_mods, i_units, i_charge = ix["procedure_code"], ix["modifiers"], ix["units"], ix["charge"]
        i_dx, i_ord, i_rend = ix["diagnosis_codes"], ix["ordering_npi"], ix["rendering_npi"]
        doc_cols = _doc_indexes(ix) if any(name in index for name in DOC_COLUMNS) else None
        date_memo, dx_memo = F.DATE_MEMO.get, F.DX_MEMO.get
        money: dict[str, Decimal] = {}
        money_memo = money.get
        # Procedure codes and modifier lists repeat on most rows: normalise each raw value once per file.
        codes: dict[str, str] = {}
        modifier_lists: dict[str, tuple[str, ...]] = {}
        line_number = _LINE_NUMBERS.get
        claim_level_ix = [(name, ix[name]) for name in _CLAIM_LEVEL if name in index]
        # One C call gathers a row's claim-level cells, so most rows compare them in a single step.
        claim_cells = itemgetter(*[i for _n, i in claim_level_ix], i_claim)
        first_cells: tuple[str, ...] = ()
        documented = frozenset(item for item, col in DOC_ITEMS.items() if col in index)

        current: Claim | None = None
        first_row: list[str] = []
        numbers: set[int] = set()
        yielded: set[str] = set()
        prev_end = rdr.line_num

        for row in rdr:
            row_no = prev_end + 1  # physical line where this record starts
            prev_end = rdr.line_num
            n_cells = len(row)
            if n_cells != width:
                if n_cells == 0 or not any(c.strip() for c in row):
                    continue  # blank line
                if n_cells < width or any(c.strip() for c in row[width:]):
                    self._wrong_width(row, row_no, prev_end, n_cells, width, i_claim, current)
                    continue
                del row[width:]  # trailing empty cells, as some spreadsheets write them
            row.append("")
            claim_id = row[i_claim].strip()
            if not claim_id:
                if not any(c.strip() for c in row):
                    continue
                self.file_findings.append(finding(
                    "ROW_MALFORMED", None, None, f"Row {row_no} has no claim_id; the row was not checked.",
                    f"Fill in claim_id in row {row_no} (every row is a service line of a claim)."))
                continue
            if current is None or claim_id != current.claim_id:
                if current is not None:
                    yielded.add(current.claim_id)
                    yield _finish(current)
                current = Claim(claim_id=claim_id, location=f"row {row_no}", documented=documented)
                self._claim_fields(current, row, row_no, ix)
                first_row = row
                first_cells = claim_cells(row)
                numbers = set()
                if claim_id in yielded:
                    current.reader_findings.append(finding(
                        "ROW_MALFORMED", current, None,
                        f"The rows of claim {claim_id} are not contiguous (row {row_no} follows another claim); "
                        "the separated groups of rows were checked as separate claims.",
                        "Keep all rows of a claim together, one after the other.", severity=Severity.WARNING))
            elif claim_cells(row) != first_cells:
                for name, i in claim_level_ix:
                    if row[i] != first_row[i] and row[i].strip() != first_row[i].strip():
                        m, s = _differs(row_no, name, current.location or "")
                        current.reader_findings.append(
                            finding("ROW_MALFORMED", current, None, m, s, severity=Severity.WARNING))

            # Fast paths inline (plain values, memo hits); the fields parsers handle everything else.
            errors: list[tuple[str, str, str]] = []  # (column, expected, what happened)
            v = row[i_line]
            number = line_number(v)  # type: ignore[assignment]
            if number is None:
                try:
                    number = F.parse_line_number(v) or len(current.lines) + 1
                except F.FieldError as exc:
                    number = len(current.lines) + 1
                    errors.append(("line", exc.expected, _WHAT_HAPPENED["line"]))
            v = row[i_code]
            code = codes.get(v)  # type: ignore[assignment]
            if code is None:
                code = v.strip().upper()
                if len(codes) < _MEMO_LIMIT:
                    codes[v] = code
            if not code:
                errors.append(("procedure_code", "a CPT or HCPCS procedure code such as 71250",
                               _WHAT_HAPPENED["procedure_code"]))
            v = row[i_dos]
            dos = date_memo(v)
            if dos is None and v:
                try:
                    dos = F.parse_date(v)
                except F.FieldError as exc:
                    errors.append(("service_date", exc.expected, "the line was checked without a date of service"))
            v = row[i_units]
            if not v or v == "1":
                units = ONE
            else:
                try:
                    units = F.parse_units(v)
                except F.FieldError as exc:
                    units = ONE
                    errors.append(("units", exc.expected, _WHAT_HAPPENED["units"]))
            v = row[i_charge]
            charge = money_memo(v)
            if charge is None and v:
                try:
                    charge = F.parse_money(v)
                except F.FieldError as exc:
                    errors.append(("charge", exc.expected, "the line was checked without a charge"))
                else:
                    if len(money) < 4096:
                        money[v] = charge
            v = row[i_mods]
            mods = modifier_lists.get(v)  # type: ignore[assignment]
            if mods is None:
                mods = F.split_modifiers(v)
                if len(modifier_lists) < _MEMO_LIMIT:
                    modifier_lists[v] = mods
            if len(mods) > F.MAX_MODIFIERS:
                errors.append(("modifiers", "at most 4 modifiers", "all of them were checked"))
            v = row[i_pos]
            pos = v if len(v) == 2 and v.isdigit() else F.parse_place_of_service(v)
            v = row[i_dx]
            line = ServiceLine(
                number=number, procedure_code=code, modifiers=mods, units=units, charge=charge,
                service_date=dos, place_of_service=pos or current.place_of_service,
                diagnosis_codes=dx_memo(v) or F.split_diagnoses(v),
                ordering_npi=row[i_ord].strip() or None, rendering_npi=row[i_rend].strip() or None,
                location=f"row {row_no}",
            )
            if doc_cols:
                line.documentation = _documentation(row, doc_cols, errors)
            if prev_end > row_no and _looks_swallowed(row, width):
                current.reader_findings.append(finding(
                    "ROW_MALFORMED", current, line, f"Row {row_no}:" + _swallowed(row_no, prev_end),
                    f"Close the quote opened in row {row_no}, or remove it; then upload the file again."))
            if number in numbers:
                errors.append(("line", f"a line number not used earlier in claim {claim_id}",
                               "both lines were checked"))
            numbers.add(number)
            current.lines.append(line)
            for column, expected, outcome in errors:
                m, s = _message(row_no, column, expected, outcome)
                current.reader_findings.append(finding("ROW_MALFORMED", current, line, m, s))
            if row is first_row:
                current.place_of_service = line.place_of_service
        if current is not None:
            yield _finish(current)

    def _claim_fields(self, claim: Claim, row: list[str], row_no: int, ix: dict[str, int]) -> None:
        """Fill the claim-level fields from the claim's first row, reporting (never echoing) bad values."""
        def bad(column: str, expected: str, outcome: str) -> None:
            m, s = _message(row_no, column, expected, outcome)
            claim.reader_findings.append(finding("ROW_MALFORMED", claim, None, m, s))

        claim.member_id = F.parse_text(row[ix["member_id"]])
        claim.patient_last_name = F.parse_text(row[ix["patient_last_name"]])
        claim.patient_first_name = F.parse_text(row[ix["patient_first_name"]])
        claim.billing_npi = F.parse_npi(row[ix["billing_npi"]])
        try:
            claim.birth_date = F.parse_date(row[ix["birth_date"]])
        except F.FieldError as exc:
            bad("birth_date", exc.expected, "the claim was checked without a birth date")
        try:
            claim.payer = F.parse_payer(row[ix["payer"]])
        except F.FieldError as exc:
            claim.payer = Payer.MEDICARE
            bad("payer", exc.expected, _WHAT_HAPPENED["payer"])
        try:
            claim.locality = F.parse_locality(row[ix["locality"]])
        except F.FieldError as exc:
            bad("locality", exc.expected, "national amounts were used")

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


def _doc_indexes(ix: dict[str, int]) -> tuple[int, ...]:
    return tuple(ix[name] for name in DOC_COLUMNS)


# Exact spellings seen in practice, looked up before the general parsers run.
_CONTRAST_FAST: dict[str, str | None] = {"": None, "none": "none", "iv": "iv", "oral": "oral", "None": "none",
                                         "IV": "iv", "Oral": "oral", "NONE": "none", "ORAL": "oral"}
_YES_NO_FAST: dict[str, bool | None] = {"": None, "yes": True, "no": False, "Yes": True, "No": False,
                                        "YES": True, "NO": False, "y": True, "n": False, "Y": True, "N": False}


def _documentation(row: list[str], cols: tuple[int, ...], errors: list[tuple[str, str, str]]) -> Documentation:
    """The documentation columns of one row (absent columns point at the empty pad cell)."""
    i_contrast, i_order, i_ind, i_report, i_cred, i_hist = cols
    v = row[i_contrast]
    contrast = _CONTRAST_FAST.get(v, "?")
    if contrast == "?":
        contrast = _doc_value(F.parse_contrast, "contrast", v, errors)
    v = row[i_order]
    order = _YES_NO_FAST.get(v, 0)
    if order == 0:
        order = _doc_value(F.parse_yes_no, "order_signed", v, errors)
    v = row[i_report]
    report = _YES_NO_FAST.get(v, 0)
    if report == 0:
        report = _doc_value(F.parse_yes_no, "report_signed", v, errors)
    return Documentation(contrast=contrast, order_signed=order, indication=row[i_ind].strip() or None,  # type: ignore[arg-type]
                         report_signed=report, rendering_credentials=row[i_cred].strip() or None,  # type: ignore[arg-type]
                         history=row[i_hist].strip() or None)


def _doc_value(parse: Callable[[str], Any], column: str, raw: str, errors: list[tuple[str, str, str]]) -> Any:
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


def _finish(claim: Claim) -> Claim:
    claim.diagnosis_codes = tuple(dict.fromkeys(d for ln in claim.lines for d in ln.diagnosis_codes))
    return claim
