"""The claims model every reader produces and every rule reads, and the findings rules produce.

Plain slotted dataclasses, not pydantic: the hot path builds one ``ServiceLine`` per input line and
pydantic validation would cost several microseconds each. Input schemas (JSON) and output contracts
(DynamoDB, SNS) are pydantic models elsewhere.

Patient data (names, birth date, member id) is kept only in memory, for the rules that need it
(age, patient identity, screening history). Those fields are ``repr=False`` so a stray ``repr()`` of a
claim in a log or exception never carries them, and no output model copies them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

ZERO: Final = Decimal(0)  # one shared zero: building Decimal(0) costs more than adding two amounts
CHEST_CT_CODES: Final[frozenset[str]] = frozenset({"71250", "71260", "71270", "71271", "71275"})
"""The chest CT family the scrubber checks (plus deleted G0297, which the rules flag)."""


# Documentation checklist items an input can carry. A DOC_* rule runs only for items in ``Claim.documented``
# (for CSV: the column is present in the header; X12 always carries the name and the service date).
DOC_ITEMS: Final[dict[str, str]] = {
    "beneficiary_name": "patient_last_name",  # item -> CSV column that carries it
    "service_date": "service_date",
    "order": "order_signed",
    "indication": "indication",
    "report": "report_signed",
    "signature": "rendering_credentials",
    "history": "history",
    "contrast": "contrast",
}


class Severity(StrEnum):
    ERROR = "error"  # will be denied or rejected
    WARNING = "warning"  # at risk
    INFO = "info"

    @property
    def rank(self) -> int:
        # ``_value_`` is a plain attribute; ``.value`` goes through the enum descriptor (findings are
        # sorted by rank on every claim)
        return _SEVERITY_RANKS[self._value_]


_SEVERITY_RANKS: Final = {"error": 2, "warning": 1, "info": 0}


class Payer(StrEnum):
    MEDICARE = "medicare"
    COMMERCIAL = "commercial"


@dataclass(slots=True, frozen=True)
class Documentation:
    """What the record shows for one line; ``None`` means the input does not carry that item.

    Frozen, so every line without documentation can share ``NO_DOCUMENTATION`` (most inputs carry none,
    and a fresh object per line is a measurable part of reading a big file).
    """

    contrast: str | None = None  # "none", "iv", "oral"
    order_signed: bool | None = None
    indication: str | None = field(default=None, repr=False)
    report_signed: bool | None = None
    rendering_credentials: str | None = None
    history: str | None = field(default=None, repr=False)


NO_DOCUMENTATION: Final = Documentation()


def _location(where: str | None, number: int) -> str | None:
    """Where in the input ("row 12", "segment 48", "claims[0]"), for messages. Put together only when a
    message asks: most lines and claims never get one, and a string for each was 2% of an 837P run."""
    return f"{where}{number}" if number else where


@dataclass(slots=True)
class ServiceLine:
    number: int
    procedure_code: str
    modifiers: tuple[str, ...] = ()
    units: Decimal = Decimal(1)
    charge: Decimal | None = None
    service_date: date | None = None
    service_date_end: date | None = None
    place_of_service: str | None = None  # effective POS (line override or claim POS)
    diagnosis_codes: tuple[str, ...] = ()  # ICD-10-CM without the dot, upper case, principal first
    diagnosis_pointers_invalid: tuple[str, ...] = ()  # X12 pointers that point past the HI codes
    ordering_npi: str | None = None
    rendering_npi: str | None = None
    line_control: str | None = None  # REF*6R
    documentation: Documentation = NO_DOCUMENTATION
    # where in the input, for messages (``location``): a prefix ("row ", "segment ") and a number, or the
    # whole place ("claims[0].lines[1]") with ``where_no`` 0
    where: str | None = None
    where_no: int = 0

    @property
    def location(self) -> str | None:
        return _location(self.where, self.where_no)

    @property
    def is_chest_ct(self) -> bool:
        return self.procedure_code in CHEST_CT_CODES

    def has_modifier(self, *mods: str) -> bool:
        # a plain loop: rules ask this several times per line, and most lines carry no modifier
        if self.modifiers:
            for m in mods:
                if m in self.modifiers:
                    return True
        return False


@dataclass(slots=True)
class Claim:
    claim_id: str
    lines: list[ServiceLine] = field(default_factory=list)
    payer: Payer = Payer.MEDICARE
    payer_type_code: str | None = None  # X12 SBR09 (MB, MA, CI, ...)
    member_id: str | None = field(default=None, repr=False)
    patient_last_name: str | None = field(default=None, repr=False)
    patient_first_name: str | None = field(default=None, repr=False)
    birth_date: date | None = field(default=None, repr=False)
    billing_npi: str | None = None
    ordering_npi: str | None = None  # claim level (2310A); lines may override
    rendering_npi: str | None = None  # claim level (2310B); lines may override
    place_of_service: str | None = None
    frequency_code: str | None = None  # CLM05-3
    has_original_reference: bool = False  # REF*F8 present
    total_charge: Decimal | None = None  # CLM02
    diagnosis_codes: tuple[str, ...] = ()  # claim-level HI codes, principal first
    locality: str | None = None  # "MAC-locality", e.g. "13202-01"; None = national
    documented: frozenset[str] = frozenset()  # documentation items the input carries (CSV columns)
    where: str | None = None  # where in the input, as ServiceLine's (``location``)
    where_no: int = 0
    reader_findings: list[Finding] = field(default_factory=list)  # structural problems found while reading

    @property
    def location(self) -> str | None:
        return _location(self.where, self.where_no)

    @property
    def has_beneficiary_name(self) -> bool:
        return bool((self.patient_last_name or "").strip())

    def patient_key(self) -> str:
        """A stable, non-reversible in-memory key for "same patient" (duplicates, pairing).

        Never stored or logged; the persisted screening history uses a keyed HMAC instead.
        """
        raw = "|".join(
            [
                (self.member_id or "").strip().upper(),
                (self.patient_last_name or "").strip().upper(),
                (self.patient_first_name or "").strip().upper(),
                self.birth_date.isoformat() if self.birth_date else "",
            ]
        )
        if raw == "|||":  # nothing identifies the patient: fall back to the claim itself
            raw = "claim|" + self.claim_id
        return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()

    def identity_hash(self) -> int:
        """The key of the upload's same-patient index: Python's hash of the normalized patient identity.

        In memory only, for one upload: ``hash()`` of text is keyed per process, so the number means
        nothing outside it, and it is several times cheaper than ``patient_key`` (the index asks for
        it on every claim). 64 bits: two of an upload's patients share one with odds near 1e-10 at
        100,000 patients. Persisted keys (the screening history) use ``patient_key``.
        """
        member = (self.member_id or "").strip().upper()
        last = (self.patient_last_name or "").strip().upper()
        first = (self.patient_first_name or "").strip().upper()
        born = self.birth_date
        if not (member or last or first or born):  # nothing identifies the patient: the claim itself
            return hash(("claim", self.claim_id))
        return hash((member, last, first, born))

    def chest_ct_lines(self) -> list[ServiceLine]:
        return [ln for ln in self.lines if ln.is_chest_ct]


@dataclass(slots=True)
class Finding:
    rule: str
    severity: Severity
    claim_id: str | None
    line: int | None
    code: str | None
    message: str
    suggestion: str
    source: str
    dataset: str | None = None  # reference dataset and version the rule used
    amount_at_stake: Decimal | None = None  # dollars at risk if the finding is not fixed

    # Finding, LinePrice and ClaimResult spell out the __init__ dataclass would write: one of each is built per
    # finding, line and claim, and a compiled build (scripts/build_compiled.py) compiles a hand-written
    # __init__ but runs dataclass's generated one as interpreted Python (several times the cost).
    def __init__(self, rule: str, severity: Severity, claim_id: str | None, line: int | None, code: str | None,
                 message: str, suggestion: str, source: str, dataset: str | None = None,
                 amount_at_stake: Decimal | None = None) -> None:
        self.rule = rule
        self.severity = severity
        self.claim_id = claim_id
        self.line = line
        self.code = code
        self.message = message
        self.suggestion = suggestion
        self.source = source
        self.dataset = dataset
        self.amount_at_stake = amount_at_stake

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),  # the value as a plain str (``.value`` is a Python call per finding)
            "claim_id": self.claim_id,
            "line": self.line,
            "code": self.code,
            "message": self.message,
            "suggestion": self.suggestion,
            "source": self.source,
            "dataset": self.dataset,
            "amount_at_stake": str(self.amount_at_stake) if self.amount_at_stake is not None else None,
        }


@dataclass(slots=True)
class LinePrice:
    """The expected Medicare allowed amount of one chest CT line and how it was reached."""

    claim_id: str
    line: int
    code: str
    modifiers: tuple[str, ...]
    allowed: Decimal | None  # None when no fee schedule covers the date
    basis: str  # e.g. "PFS 2026 non-facility, locality 13202-01, TC, MPPR 50%"
    dataset: str | None = None

    def __init__(self, claim_id: str, line: int, code: str, modifiers: tuple[str, ...], allowed: Decimal | None,
                 basis: str, dataset: str | None = None) -> None:  # spelled out: see Finding
        self.claim_id = claim_id
        self.line = line
        self.code = code
        self.modifiers = modifiers
        self.allowed = allowed
        self.basis = basis
        self.dataset = dataset

    def to_dict(self) -> dict[str, object]:
        return {
            "claim_id": self.claim_id,
            "line": self.line,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "expected_allowed": str(self.allowed) if self.allowed is not None else None,
            "basis": self.basis,
            "dataset": self.dataset,
        }


@dataclass(slots=True)
class ClaimResult:
    claim_id: str
    findings: list[Finding]
    prices: list[LinePrice]
    line_count: int
    chest_ct_line_count: int
    payer: Payer
    position: int  # the claim's place in the upload (0 first): results can reach the sinks out of file order

    def __init__(self, claim_id: str, findings: list[Finding], prices: list[LinePrice], line_count: int,
                 chest_ct_line_count: int, payer: Payer, position: int = 0) -> None:  # spelled out: see Finding
        self.claim_id = claim_id
        self.findings = findings
        self.prices = prices
        self.line_count = line_count
        self.chest_ct_line_count = chest_ct_line_count
        self.payer = payer
        self.position = position

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    def amount_at_stake(self) -> Decimal:
        """Expected allowed dollars of the lines that carry an error (each line counted once)."""
        err_lines = {f.line for f in self.findings if f.severity is Severity.ERROR}
        whole = None in err_lines  # a claim-level error puts the whole claim at stake
        total: Decimal | None = None
        for p in self.prices:  # a loop, not sum(generator): the pipeline asks for every claim with an error
            allowed = p.allowed
            if allowed is not None and (whole or p.line in err_lines):
                total = allowed if total is None else total + allowed
        return ZERO if total is None else total
