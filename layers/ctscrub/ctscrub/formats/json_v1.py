"""JSON v1 reader: a ``{"format": "ctscrub-claims", "version": 1, "claims": [...]}`` document, or JSON Lines.

JSON Lines (one claim object per line) streams a line at a time. The single-document form is parsed
whole, so it is capped at ``DOCUMENT_CAP`` bytes. Each claim is validated on its own against
``json_models.ClaimIn``: a claim that fails keeps what can be read (bad fields are dropped, lines that
cannot be read are left out) and carries a ``ROW_MALFORMED`` finding listing the field paths and what
was expected, never the values. A claim without a usable ``claim_id`` rejects the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ctscrub.formats import fields as F
from ctscrub.formats.errors import FileRejected
from ctscrub.formats.json_models import FORMAT_NAME, ClaimIn, LineIn
from ctscrub.formats.stream import PeekedStream
from ctscrub.model import DOC_ITEMS, NO_DOCUMENTATION, Claim, Documentation, Finding, ServiceLine
from ctscrub.rules.registry import finding

DOCUMENT_CAP = 25 * 1024 * 1024  # bytes; the single-document form is parsed whole
LINE_LIMIT = 1 << 20  # bytes in one JSON Lines claim
MAX_LISTED_ERRORS = 8
MAX_EXPONENT = 100  # |exponent| of a JSON number beyond which the file is refused
_BOM = b"\xef\xbb\xbf"
_DOC_ITEM_OF = {column: item for item, column in DOC_ITEMS.items()}
_SUGGEST = "Correct the JSON file against schemas/claims-v1.schema.json; see docs/FORMATS.md."


class _Envelope(BaseModel):
    """The document's top level; claims are validated one by one so one bad claim does not sink the file."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["ctscrub-claims"]
    version: Literal[1]
    claims: list[Any]


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(text: str) -> Decimal:
    """JSON numbers with a fraction or exponent, as Decimal (exact cents); absurd exponents are refused
    here, before validation could turn 1e999999 into a million-digit integer."""
    value = Decimal(text)
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError("number out of range")
    return value


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=_number, parse_constant=_no_constants)


def _path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = "".join(c if c.isprintable() else "?" for c in str(part)[:40])
            out += f".{name}" if out else name
    return out


def _describe(exc: ValidationError, prefix: str = "") -> list[str]:
    """``path: what was expected`` for each error; pydantic's messages name types and ranges, not inputs."""
    return [f"{_path(tuple(e['loc']), prefix)}: {e['msg']}" for e in exc.errors(include_url=False,
                                                                                  include_input=False)]


def _unreadable(what: str, where: str, exc: BaseException) -> FileRejected:
    """A FileRejected for JSON that cannot be parsed, naming the position, never the content."""
    if isinstance(exc, json.JSONDecodeError):
        reason = f"{what} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    elif isinstance(exc, RecursionError):
        reason = f"{what} is nested too deeply to read"
    elif isinstance(exc, UnicodeDecodeError):
        reason = f"{what} is not valid UTF-8 text (byte {exc.start:,})"
    else:  # ValueError from int() on a huge number, or NaN/Infinity
        reason = (f"{what} has a number that cannot be read (thousands of digits, an exponent over "
                  f"{MAX_EXPONENT}, NaN or Infinity)")
    return FileRejected("FILE_MALFORMED", reason, where, _SUGGEST)


class Reader:
    format_name = "json-v1"

    def __init__(self, stream: PeekedStream) -> None:
        self._stream = stream
        self.file_findings: list[Finding] = []

    def claims(self) -> Iterator[Claim]:
        binary = self._stream.binary
        first, blank_bytes, blank_lines = self._first_line()
        first_obj = self._try_claim_line(first)
        if first_obj is not None:
            yield from self._json_lines(first_obj, blank_lines + 1, blank_bytes + len(first))
            return
        rest = binary.read(DOCUMENT_CAP + 1 - blank_bytes - len(first))
        data = first + rest
        if blank_bytes + len(data) > DOCUMENT_CAP:
            raise FileRejected(
                "FILE_MALFORMED", f"the JSON document is larger than {DOCUMENT_CAP // (1024 * 1024)} MB "
                "(a single JSON document is read whole)", f"byte {DOCUMENT_CAP:,}",
                "Split the claims into several files, or send JSON Lines (one claim per line), which has no "
                "size cap of its own.")
        yield from self._document(data, blank_bytes)

    # -- detection -------------------------------------------------------------------------------------
    def _first_line(self) -> tuple[bytes, int, int]:
        """The first non-blank physical line (BOM removed), and the bytes and lines skipped before it."""
        readline = self._stream.binary.readline
        skipped = lines = 0
        while True:
            raw = readline(LINE_LIMIT + 1)
            if lines == 0 and skipped == 0 and raw.startswith(_BOM):
                raw = raw[3:]
                skipped = 3
            if raw.strip() or not raw:
                return raw, skipped, lines
            skipped += len(raw)
            lines += 1

    @staticmethod
    def _try_claim_line(raw: bytes) -> dict[str, Any] | None:
        """The parsed first line when it is a complete claim object (the JSON Lines form), else None."""
        if len(raw) > LINE_LIMIT or not raw.strip().startswith(b"{"):
            return None
        try:
            obj = _loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            return None
        if isinstance(obj, dict) and "format" not in obj and "claims" not in obj:
            return obj
        return None

    # -- JSON Lines ------------------------------------------------------------------------------------
    def _json_lines(self, first: dict[str, Any], first_no: int, offset: int) -> Iterator[Claim]:
        yield self._claim(first, f"line {first_no}", "")
        readline = self._stream.binary.readline
        number = first_no
        while True:
            raw = readline(LINE_LIMIT + 1)
            if not raw:
                return
            number += 1
            where = f"line {number}"
            if len(raw) > LINE_LIMIT:
                raise FileRejected("FILE_MALFORMED", f"{where} is too long (over {LINE_LIMIT:,} bytes)", where,
                                   "Put one claim per line; a claim is far shorter than 1 MB.")
            if not raw.strip():
                offset += len(raw)
                continue
            try:
                obj = _loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                pos = offset + exc.start
                raise FileRejected("FILE_MALFORMED", f"the file is not valid UTF-8 text (byte {pos:,}, {where})",
                                   f"byte {pos:,}", "Save the file as UTF-8.") from None
            except (ValueError, RecursionError) as exc:
                raise _unreadable(where, where, exc) from None
            offset += len(raw)
            if not isinstance(obj, dict):
                raise FileRejected("FILE_MALFORMED", f"{where} is not a JSON object (JSON Lines: one claim "
                                   "object per line)", where, _SUGGEST)
            yield self._claim(obj, where, "")

    # -- single document -------------------------------------------------------------------------------
    def _document(self, data: bytes, skipped: int) -> Iterator[Claim]:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            pos = skipped + exc.start
            raise FileRejected("FILE_MALFORMED", f"the file is not valid UTF-8 text (byte {pos:,})",
                               f"byte {pos:,}", "Save the file as UTF-8.") from None
        del data
        try:
            doc = _loads(text)
        except (ValueError, RecursionError) as exc:
            raise _unreadable("the file", "byte 0", exc) from None
        del text
        if not isinstance(doc, dict):
            raise FileRejected("FILE_MALFORMED", "the JSON file is not an object with format, version and claims",
                               "byte 0", _SUGGEST)
        try:
            env = _Envelope.model_validate(doc)
        except ValidationError as exc:
            raise FileRejected("FILE_MALFORMED", "; ".join(_describe(exc)[:MAX_LISTED_ERRORS]), "top level",
                               f"Start the file with {{\"format\": \"{FORMAT_NAME}\", \"version\": 1, \"claims\": "
                               "[...]}; see docs/FORMATS.md.") from None
        claims = env.claims
        del doc
        for i in range(len(claims)):
            raw, claims[i] = claims[i], None  # let each claim's objects go once it is converted
            path = f"claims[{i}]"
            if not isinstance(raw, dict):
                raise FileRejected("FILE_MALFORMED", f"{path}: Input should be an object", path, _SUGGEST)
            yield self._claim(raw, path, path)

    # -- one claim -------------------------------------------------------------------------------------
    def _claim(self, raw: dict[str, Any], where: str, prefix: str) -> Claim:
        n_lines = len(raw["lines"]) if isinstance(raw.get("lines"), list) else 0
        try:
            return _to_claim(ClaimIn.model_validate(raw), list(range(n_lines)), where)
        except ValidationError as exc:
            errors = _describe(exc, prefix)
            first_errors = exc
        claim_id = raw.get("claim_id")
        if not isinstance(claim_id, str) or not claim_id.strip() or len(claim_id.strip()) > 64:
            raise FileRejected("FILE_MALFORMED", "; ".join(errors[:MAX_LISTED_ERRORS]), where, _SUGGEST)
        model, kept = _salvage(raw, first_errors)
        if model is not None:
            claim = _to_claim(model, kept, where)
        else:
            claim = Claim(claim_id=claim_id.strip(), where=where)
        listed = "; ".join(errors[:MAX_LISTED_ERRORS])
        more = f" (and {len(errors) - MAX_LISTED_ERRORS} more)" if len(errors) > MAX_LISTED_ERRORS else ""
        kept_set = set(kept)
        dropped = [i for i in range(n_lines) if i not in kept_set]
        outcome = "these fields were ignored"
        if dropped:
            outcome += "; " + ", ".join(f"lines[{i}]" for i in dropped[:10]) + " could not be read and " \
                       "were not checked"
        claim.reader_findings.insert(0, finding(
            "ROW_MALFORMED", claim, None,
            f"Claim {claim.claim_id} ({where}) does not match JSON v1: {listed}{more}; {outcome}.", _SUGGEST))
        return claim


def _salvage(raw: dict[str, Any], exc: ValidationError) -> tuple[ClaimIn | None, list[int]]:
    """Drop what failed validation and validate again: first the bad fields, then whole bad lines.

    Returns the model and the original indexes of the lines it kept, or (None, []) when nothing validates.
    """
    claim = dict(raw)
    lines_in = raw.get("lines")
    lines: list[Any] = [dict(x) if isinstance(x, dict) else x for x in lines_in] if isinstance(lines_in, list) else []
    kept = list(range(len(lines)))
    if isinstance(lines_in, list):
        claim["lines"] = lines
    for coarse in (False, True, True):
        drop_lines: set[int] = set()
        for err in exc.errors(include_url=False, include_input=False):
            loc = tuple(err["loc"])
            if not loc:
                continue
            if loc[0] == "lines" and len(loc) >= 2 and isinstance(loc[1], int) and loc[1] < len(lines):
                k = loc[1]
                line = lines[k]
                if coarse or len(loc) == 2 or not isinstance(line, dict) or not isinstance(loc[2], str):
                    drop_lines.add(k)
                elif loc[2] == "documentation" and len(loc) >= 4 and isinstance(line.get("documentation"), dict):
                    doc = line["documentation"] = dict(line["documentation"])
                    doc.pop(str(loc[3]), None)
                else:
                    line.pop(loc[2], None)
            elif isinstance(loc[0], str) and loc[0] not in ("claim_id", "lines"):
                claim.pop(loc[0], None)
        if drop_lines:
            kept = [orig for k, orig in enumerate(kept) if k not in drop_lines]
            lines = [ln for k, ln in enumerate(lines) if k not in drop_lines]
            claim["lines"] = lines
        try:
            return ClaimIn.model_validate(claim), kept
        except ValidationError as again:
            exc = again
    return None, []


def _to_claim(m: ClaimIn, original_index: list[int], where: str) -> Claim:
    """Convert a validated claim to the shared model, normalising codes the same way as CSV v1."""
    claim_dx = tuple(dict.fromkeys(c for c in map(F.normalise_dx, m.diagnosis_codes) if c))
    claim_pos = F.parse_place_of_service(m.place_of_service or "")
    documented: set[str] = set()
    if "patient_last_name" in m.model_fields_set:
        documented.add("beneficiary_name")
    claim = Claim(
        claim_id=m.claim_id, payer=F.parse_payer(m.payer), member_id=m.member_id or None,
        patient_last_name=m.patient_last_name or None, patient_first_name=m.patient_first_name or None,
        birth_date=m.birth_date, billing_npi=m.billing_npi or None, ordering_npi=m.ordering_npi or None,
        rendering_npi=m.rendering_npi or None, place_of_service=claim_pos, locality=m.locality, where=where,
    )
    numbers: set[int] = set()
    for k, ln in enumerate(m.lines):
        orig = original_index[k] if k < len(original_index) else k
        claim.lines.append(_to_line(ln, orig, claim, claim_dx, documented, where))
        number = claim.lines[-1].number
        if number in numbers:
            claim.reader_findings.append(finding(
                "ROW_MALFORMED", claim, claim.lines[-1],
                f"Claim {claim.claim_id} ({where}) uses line number {number} twice; both lines were checked.",
                "Give every line of a claim its own line number, or leave line out to number them in order."))
        numbers.add(number)
    claim.documented = frozenset(documented)
    claim.diagnosis_codes = tuple(dict.fromkeys(claim_dx + tuple(d for ln in claim.lines for d in ln.diagnosis_codes)))
    return claim


def _to_line(ln: LineIn, orig: int, claim: Claim, claim_dx: tuple[str, ...], documented: set[str],
             where: str) -> ServiceLine:
    doc = NO_DOCUMENTATION
    if ln.documentation is not None:
        values: dict[str, object] = {}
        for name in ln.documentation.model_fields_set:
            value = getattr(ln.documentation, name)
            values[name] = value if value != "" else None
            documented.add(_DOC_ITEM_OF[name])
        doc = Documentation(**values)  # type: ignore[arg-type]
    if "service_date" in ln.model_fields_set:
        documented.add("service_date")
    line_dx = tuple(dict.fromkeys(c for c in map(F.normalise_dx, ln.diagnosis_codes) if c))
    return ServiceLine(
        number=ln.line or orig + 1,
        procedure_code=ln.procedure_code.upper(),
        modifiers=tuple(m.upper() for m in ln.modifiers if m),
        units=Decimal(ln.units),
        charge=ln.charge,
        service_date=ln.service_date,
        place_of_service=F.parse_place_of_service(ln.place_of_service or "") or claim.place_of_service,
        diagnosis_codes=line_dx or claim_dx,
        ordering_npi=ln.ordering_npi or claim.ordering_npi,
        rendering_npi=ln.rendering_npi or claim.rendering_npi,
        documentation=doc,
        where=f"{where}.lines[{orig}]" if where.startswith("claims[") else f"{where}, lines[{orig}]",
    )
