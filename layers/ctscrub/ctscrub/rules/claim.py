"""Rule family: claim structure (X12 837P): total charge and replacement/void references.

Both rules are claim-level (no line) and run only on claims with a chest CT line (or deleted G0297):
the scrubber reports on chest CT claims, not on every claim of a mixed file.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from ctscrub.model import ZERO, Claim, Finding
from ctscrub.rules.coding import money
from ctscrub.rules.facts import Trigger
from ctscrub.rules.registry import RuleContext, finding, rule

_FREQUENCY_MEANING: Final = {"7": "a replacement of a prior claim", "8": "a void of a prior claim"}
REPLACING_FREQUENCIES: Final = frozenset(_FREQUENCY_MEANING)  # CLM05-3 codes that must name the original claim


def _in_scope(claim: Claim) -> bool:
    return any(ln.is_chest_ct or ln.procedure_code == "G0297" for ln in claim.lines)


def _claim_at_stake(ctx: RuleContext) -> Decimal | None:
    amounts = [p.allowed for p in ctx.prices.values() if p.allowed is not None]
    return sum(amounts, Decimal(0)) if amounts else None


def lines_total(claim: Claim) -> Decimal:
    total: Decimal | None = None
    for ln in claim.lines:  # a plain loop, from the first charge on: the trigger screen adds up every 837 claim
        charge = ln.charge
        if charge is not None:
            total = charge if total is None else total + charge
    return ZERO if total is None else total


@rule("CHARGE_TOTAL_MISMATCH", when=Trigger.TOTAL_CHARGE)
def charge_total_mismatch(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """CLM02 must equal the sum of the line charges (SV102); a claim that does not add up is rejected."""
    if claim.total_charge is None or not _in_scope(claim):
        return
    total = lines_total(claim)
    if total == claim.total_charge:
        return
    n = len(claim.lines)
    diff = claim.total_charge - total
    yield finding(
        "CHARGE_TOTAL_MISMATCH", claim, None,
        f"The claim's total charge (CLM02) is {money(claim.total_charge)}, but its {n} service line "
        f"charge{'s add' if n != 1 else ' adds'} up to {money(total)} (difference {money(diff)}): the claim "
        f"will be rejected.",
        f"Correct CLM02 to {money(total)}, or correct the line charges (SV102) so they add up to "
        f"{money(claim.total_charge)}.",
        amount_at_stake=_claim_at_stake(ctx),
    )


@rule("CLAIM_FREQUENCY_REF_MISSING", when=Trigger.FREQUENCY_WITHOUT_REF)
def frequency_ref_missing(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A replacement (7) or void (8) must name the original claim (REF*F8), or it is rejected."""
    freq = (claim.frequency_code or "").strip()
    meaning = _FREQUENCY_MEANING.get(freq)
    if meaning is None or claim.has_original_reference or not _in_scope(claim):
        return
    yield finding(
        "CLAIM_FREQUENCY_REF_MISSING", claim, None,
        f"The claim has frequency code {freq} ({meaning}, CLM05-3) but does not give the original claim's "
        f"number (REF*F8): the payer cannot tell which claim it changes and rejects it.",
        "Add REF*F8 with the payer's claim control number of the original claim, or send it as a new claim "
        "(frequency 1) if there is no earlier claim.",
        amount_at_stake=_claim_at_stake(ctx),
    )
