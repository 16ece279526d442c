"""Per-claim facts that many rules need, computed once per claim instead of once per rule.

The pipeline builds one ``ClaimFacts`` per claim and puts it on ``ctx.facts`` while the claim's rules
run (the upload index ``ctx.patient_day_lines`` does not change then, so the same-day peers of a line
can be cached). A rule called on its own (a unit test) gets fresh facts on each call, so nothing it
sees can be stale.

``Trigger`` names the conditions without which a rule cannot raise anything (``@rule(..., when=...)``).
``ClaimFacts.triggers`` holds the ones a claim meets, found in one pass over its chest CT lines by
``rules/screen.py``; the pipeline runs only the rules whose trigger the claim meets, so a clean claim
runs almost none (most claims are clean, and ~25 rule calls per claim cost more than the one pass).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Final, NamedTuple

from ctscrub.model import CHEST_CT_CODES, Claim, ServiceLine
from ctscrub.rules.registry import SeenLine

if TYPE_CHECKING:
    from ctscrub.rules.registry import RuleContext


class Peer(NamedTuple):
    """Another line of the same patient on the same date of service.

    A named tuple built with ``tuple.__new__`` (see ``peers``): rules ask for the peers of most chest CT
    lines, and a dataclass ``__init__`` per peer was a measurable part of checking a claim.
    """

    claim_id: str
    line: int
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    same_claim: bool
    before: bool  # billed before the line being checked (an earlier claim, or earlier in this claim)

    def ref(self) -> str:
        return f"line {self.line}" if self.same_claim else f"line {self.line} of claim {self.claim_id}"

    def has_modifier(self, *mods: str) -> bool:
        return any(m in self.modifiers for m in mods)


_new_peer: Final = tuple.__new__


class Trigger:
    """Conditions a claim meets, without which some rule cannot raise a finding or change any state.

    Bit flags as plain ints, not an ``enum.IntFlag``: the screen combines them for every chest CT line,
    and ``IntFlag.__or__`` costs a microsecond where ``int | int`` costs nanoseconds.

    Each is a superset of its rules' conditions (a claim may meet it and still get no finding); the
    rule itself decides. ``tests/test_hot_path.py`` checks on random claims that a rule whose trigger is
    not met raises nothing, and that every rule fires on some claim whose trigger is met.
    """

    DELETED_CODE: Final = 1 << 0  # a code deleted on some date (CODE_DELETED)
    CONTRAST_PAIR: Final = 1 << 1  # 71250 with 71260 for the patient that date (CONTRAST_COMBINED_REQUIRED)
    CONTRAST_DOCUMENTED: Final = 1 << 2  # documented contrast contradicts a chest CT code (CONTRAST_MISMATCH)
    CODE_PAIR: Final = 1 << 3  # a pair edit between a chest CT line and another line that date (PTP_BUNDLED)
    UNITS: Final = 1 << 4  # units over the line or per-day limit for the patient that date (UNITS_EXCEED_MUE)
    SAME_CODE_TWICE: Final = 1 << 5  # a chest CT code billed twice for the patient that date (DUPLICATE_LINE)
    MODIFIER_INVALID: Final = 1 << 6
    MODIFIER_CONFLICT: Final = 1 << 7  # 26 with TC, or 76 with 77
    FACILITY_WITHOUT_26: Final = 1 << 8
    REPEAT_MODIFIER: Final = 1 << 9  # 76/77 on a dated chest CT line (REPEAT_WITHOUT_ORIGINAL)
    DISTINCT_MODIFIER: Final = 1 << 10  # 59/X{EPSU} on a dated chest CT line (DISTINCT_WITHOUT_PAIR)
    PAYMENT_MODIFIER: Final = 1 << 11  # 52, CT, GZ or GY (the payment and liability notes)
    POS_INVALID: Final = 1 << 12
    DX_MISSING: Final = 1 << 13  # no diagnosis, or an X12 pointer past the HI codes
    DX_INVALID: Final = 1 << 14
    DX_NOT_SUPPORTING: Final = 1 << 15
    SCREENING_DX: Final = 1 << 16  # Z12.2 on 71250/71260/71270
    LDCT: Final = 1 << 17  # 71271 billed (LDCT_FREQUENCY checks and records every screen)
    NO_ORDERING: Final = 1 << 18
    NPI_INVALID: Final = 1 << 19
    DOCUMENTED: Final = 1 << 20  # the input carries documentation checklist items
    DOS_FUTURE: Final = 1 << 21
    TIMELY_FILING: Final = 1 << 22  # past the filing limit, or near it for Medicare
    CHARGE_BELOW: Final = 1 << 23  # a Medicare charge below the fee schedule amount
    TOTAL_CHARGE: Final = 1 << 24  # CLM02 differs from the sum of the line charges
    FREQUENCY_WITHOUT_REF: Final = 1 << 25  # a frequency code without REF*F8
    LDCT_AGE: Final = 1 << 26  # a 71271 outside the payer profile's ages
    LDCT_NO_TOBACCO: Final = 1 << 27  # a 71271 without a tobacco-use diagnosis on the line or the claim
    LDCT_SYMPTOMS: Final = 1 << 28  # a 71271 with symptom or finding codes


_NO_PEERS: Final[list[Peer | SeenLine]] = []  # shared empty answer; rules only read peer lists


class ClaimFacts:
    """What the rules of one claim share: its chest CT lines, codes, patient key, triggers and same-day peers."""

    __slots__ = ("_ctx", "_peers", "_triggers", "by_date", "claim", "codes", "ct_lines", "patient")

    def __init__(self, claim: Claim, ctx: RuleContext) -> None:
        self.claim = claim
        self._ctx = ctx
        ct_lines: list[ServiceLine] = []
        codes: set[str] = set()
        by_date: dict[date, list[ServiceLine]] = {}
        for ln in claim.lines:  # one pass: this runs for every claim of the upload
            code = ln.procedure_code
            codes.add(code)
            if code in CHEST_CT_CODES:
                ct_lines.append(ln)
            dos = ln.service_date
            if dos is not None:
                group = by_date.get(dos)
                if group is None:
                    by_date[dos] = [ln]
                else:
                    group.append(ln)
        self.ct_lines = ct_lines  # the chest CT lines, in line order
        self.codes = codes  # every procedure code billed on the claim
        self.by_date = by_date  # the dated lines by date of service, in line order (shared: read only)
        # The claim's key in the upload's same-patient index: computed here, as the pipeline indexes every claim
        self.patient = claim.identity_hash()
        self._peers: dict[int, list[Peer | SeenLine]] | None = None  # made on first use: many claims ask for none
        self._triggers: int | None = None

    @property
    def triggers(self) -> int:
        """The ``Trigger`` flags the claim meets (screened once, on first use)."""
        met = self._triggers
        if met is None:
            met = self._triggers = (_SCREEN or _load_screen())(self, self._ctx)
        return met

    def peers(self, ln: ServiceLine) -> list[Peer | SeenLine]:
        """The patient's other lines on ``ln``'s date: this claim's, and earlier claims' of the upload.

        Later claims of the upload are not seen yet, so a cross-claim finding lands on the later line (a
        finding that a partner line is missing waits for them: ``ctscrub.absence_findings``).
        The list is shared between the rules of the claim: read it, never change it.
        """
        dos = ln.service_date
        if dos is None:
            return _NO_PEERS
        cached = self._peers
        if cached is None:
            cached = self._peers = {}
        else:
            hit = cached.get(id(ln))
            if hit is not None:
                return hit
        index = self._ctx.patient_day_lines
        # earlier claims' lines (named as SeenLine, which reads as a Peer), then this claim's other lines that date
        seen = index.get((self.patient, dos)) if index else None
        out: list[Peer | SeenLine] = [_new_peer(SeenLine, s) for s in seen] if seen else []
        before = True
        claim_id = self.claim.claim_id
        for other in self.by_date.get(dos, ()):
            if other is ln:
                before = False
                continue
            out.append(_new_peer(Peer, (claim_id, other.number, other.procedure_code, other.modifiers, other.units,
                                        True, before)))
        cached[id(ln)] = out
        return out


_SCREEN: Callable[[ClaimFacts, RuleContext], int] | None = None


def _load_screen() -> Callable[[ClaimFacts, RuleContext], int]:
    # imported on first use: the screen imports the rule families, which import this module
    global _SCREEN
    from ctscrub.rules.screen import screen

    _SCREEN = screen
    return screen


def claim_facts(claim: Claim, ctx: RuleContext) -> ClaimFacts:
    """The pipeline's facts for ``claim`` when it is the claim being checked, else fresh ones."""
    facts = ctx.facts
    if facts is not None and facts.claim is claim:
        return facts
    return ClaimFacts(claim, ctx)
