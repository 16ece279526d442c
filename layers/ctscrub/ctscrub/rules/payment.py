"""Rule family: payment. CHARGE_BELOW_ALLOWED: a charge below the Medicare fee schedule amount loses money.

Medicare pays the lower of the actual charge and the fee schedule amount (42 CFR 414.20), so a charge
below the fee schedule amount caps the payment at the charge on every claim. The comparison uses the
line's unreduced fee schedule amount (year of service, component, facility or not, locality, OPPS cap):
the multiple-procedure reduction lowers what is paid, not what may be charged. Lines with modifier 52
are contractor-priced (the fee schedule amount is only an upper bound) and are not compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from ctscrub.model import ZERO, Claim, Finding, Payer, ServiceLine
from ctscrub.payment import PriceSetting, Quote, datasets_used, fee_schedule_quote
from ctscrub.refdata.types import ReferenceLookups
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule

_COMPONENT: Final = {"": "global", "26": "-26", "TC": "TC"}


def comparable_quote(claim: Claim, ln: ServiceLine, refdata: ReferenceLookups) -> tuple[Quote, PriceSetting] | None:
    """The unreduced fee schedule quote a Medicare chest CT line's charge is compared with; None for other
    payers and for 52 lines (contractor-priced: the fee schedule amount is only an upper bound)."""
    if claim.payer is not Payer.MEDICARE or not ln.is_chest_ct or ln.has_modifier("52"):
        return None
    return fee_schedule_quote(claim, ln, refdata)


def charge_short_of(charge: Decimal | None, amount: Decimal) -> bool:
    """A positive charge below the fee schedule amount (a missing or zero charge is not compared)."""
    return charge is not None and ZERO < charge < amount  # Decimal to Decimal: an int 0 is converted on each call


@rule("CHARGE_BELOW_ALLOWED", when=Trigger.CHARGE_BELOW)
def charge_below_allowed(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    if claim.payer is not Payer.MEDICARE:
        return
    for ln in claim_facts(claim, ctx).ct_lines:
        hit = comparable_quote(claim, ln, ctx.refdata)
        if hit is None or not charge_short_of(ln.charge, hit[0].amount):
            continue
        q, st = hit
        comp = _COMPONENT.get("26" if ln.has_modifier("26") else "TC" if ln.has_modifier("TC") else "", "global")
        gap = q.amount - ln.charge  # type: ignore[operator]  # charge_short_of: a positive charge
        yield finding(
            "CHARGE_BELOW_ALLOWED", claim, ln,
            f"The charge ${ln.charge:.2f} for {ln.procedure_code} ({comp}) is below the {st.fs.year} Medicare "
            f"fee schedule amount ${q.amount} ({st.locality_text}). Medicare pays the lower of the charge and "
            f"the fee schedule amount, so ${gap:.2f} is lost on every claim like this one.",
            f"Raise the charge master price for {ln.procedure_code} ({comp}) to at least ${q.amount}.",
            dataset=datasets_used(q, st), amount_at_stake=gap,
        )
