"""Per-claim facts that many rules need, computed once per claim instead of once per rule.

The pipeline builds one ``ClaimFacts`` per claim and puts it on ``ctx.facts`` while the claim's rules
run (the upload index ``ctx.patient_day_lines`` does not change then, so the same-day peers of a line
can be cached). A rule called on its own (a unit test) gets fresh facts on each call, so nothing it
sees can be stale.

The gate predicates at the end let a rule declare a cheap condition without which it cannot raise
anything (``@rule(..., when=...)``); the pipeline skips the rule for claims that fail it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ctscrub.model import CHEST_CT_CODES, Claim, ServiceLine

if TYPE_CHECKING:
    from ctscrub.rules.registry import RuleContext


@dataclass(slots=True)  # not frozen: frozen dataclasses are several times slower to build
class Peer:
    """Another line of the same patient on the same date of service."""

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


_NO_PEERS: list[Peer] = []  # shared empty answer; rules only read peer lists


class ClaimFacts:
    """What the rules of one claim share: its chest CT lines, codes, patient key and same-day peers."""

    __slots__ = ("_by_date", "_ctx", "_key", "_peers", "claim", "codes", "ct_lines", "ct_modifiers")

    def __init__(self, claim: Claim, ctx: RuleContext) -> None:
        self.claim = claim
        self._ctx = ctx
        self.ct_lines: list[ServiceLine] = []  # the chest CT lines, in line order
        self.codes: set[str] = set()  # every procedure code billed on the claim
        self.ct_modifiers = False  # some chest CT line carries a modifier
        for ln in claim.lines:  # one pass: this runs for every claim of the upload
            code = ln.procedure_code
            self.codes.add(code)
            if code in CHEST_CT_CODES:
                self.ct_lines.append(ln)
                if ln.modifiers:
                    self.ct_modifiers = True
        self._key: str | None = None
        self._by_date: dict[date, list[ServiceLine]] | None = None
        self._peers: dict[int, list[Peer]] = {}

    def patient_key(self) -> str:
        """``claim.patient_key()``, hashed at most once per claim."""
        if self._key is None:
            self._key = self.claim.patient_key()
        return self._key

    def peers(self, ln: ServiceLine) -> list[Peer]:
        """The patient's other lines on ``ln``'s date: this claim's, and earlier claims' of the upload.

        Later claims of the upload are not seen yet, so a cross-claim finding lands on the later line.
        The list is shared between the rules of the claim: read it, never change it.
        """
        dos = ln.service_date
        if dos is None:
            return _NO_PEERS
        hit = self._peers.get(id(ln))
        if hit is not None:
            return hit
        out: list[Peer] = []
        index = self._ctx.patient_day_lines
        if index:
            for s in index.get((self.patient_key(), dos), ()):
                out.append(Peer(s.claim_id, s.line, s.code, s.modifiers, s.units, False, True))
        by_date = self._by_date
        if by_date is None:
            by_date = self._by_date = {}
            for other in self.claim.lines:
                if other.service_date is not None:
                    by_date.setdefault(other.service_date, []).append(other)
        before = True
        claim_id = self.claim.claim_id
        for other in by_date.get(dos, ()):
            if other is ln:
                before = False
                continue
            out.append(Peer(claim_id, other.number, other.procedure_code, other.modifiers, other.units, True, before))
        self._peers[id(ln)] = out
        return out


def claim_facts(claim: Claim, ctx: RuleContext) -> ClaimFacts:
    """The pipeline's facts for ``claim`` when it is the claim being checked, else fresh ones."""
    facts = ctx.facts
    if facts is not None and facts.claim is claim:
        return facts
    return ClaimFacts(claim, ctx)


# --- gates: a rule cannot raise anything on a claim for which its gate is false ---------------------


def has_ct_modifiers(facts: ClaimFacts) -> bool:
    """Some chest CT line carries a modifier."""
    return facts.ct_modifiers


def has_ldct(facts: ClaimFacts) -> bool:
    """Some line bills 71271 (the screening rules look at no other line)."""
    return "71271" in facts.codes


def has_documented_items(facts: ClaimFacts) -> bool:
    """The input carries at least one documentation checklist item."""
    return bool(facts.claim.documented)
