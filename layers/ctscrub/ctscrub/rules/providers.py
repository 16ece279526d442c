"""Rule family: providers on chest CT claims (ordering provider present, NPIs pass the check digit)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache
from typing import Final

from ctscrub.model import Claim, Finding
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule

NPI_PREFIX: Final = "80840"  # card issuer prefix the NPI check digit is computed over (45 CFR 162.406)


_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # Luhn: digit*2, minus 9 when above 9


@lru_cache(maxsize=4096)  # a file repeats a handful of provider NPIs on every line
def npi_valid(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit over ``80840`` + the first 9 digits."""
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    # Luhn over the 15-digit number 80840 + all 10 digits: double every second digit from the right.
    digits = [int(ch) for ch in reversed(NPI_PREFIX + npi)]
    total = sum(digits[0::2]) + sum(_DOUBLED[d] for d in digits[1::2])
    return total % 10 == 0


def _shown(npi: str) -> str:
    """The NPI itself is public; a value that is not even digit-like may be misplaced data, so it is not echoed."""
    return f"NPI {npi}" if npi.isascii() and npi.isdigit() and len(npi) <= 15 else "the NPI value"


def _npi_problem(npi: str) -> str:
    if not (npi.isascii() and npi.isdigit()):
        return "is not a number"
    if len(npi) != 10:
        return f"has {len(npi)} digits instead of 10"
    return "fails the check digit"


def blank(value: str | None) -> bool:
    return not (value or "").strip()


@rule("ORDERING_PROVIDER_MISSING", when=Trigger.NO_ORDERING)
def ordering_provider_missing(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A diagnostic test must be ordered by the treating practitioner, whose NPI is on the claim (42 CFR 410.32(a))."""
    if not blank(claim.ordering_npi):
        return
    for ln in claim_facts(claim, ctx).ct_lines:
        if blank(ln.ordering_npi):
            yield finding(
                "ORDERING_PROVIDER_MISSING", claim, ln,
                f"The {ln.procedure_code} line has no ordering provider; Medicare rejects imaging without the "
                "ordering provider's NPI (remark codes N264/N265).",
                "Add the ordering provider's name and NPI from the signed order (837P loop 2310A NM1*DN, or "
                "2420E/2420F on the line; CMS-1500 item 17/17b).",
                amount_at_stake=ctx.price_of(ln),
            )


@rule("NPI_INVALID", when=Trigger.NPI_INVALID)
def npi_invalid(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Billing, ordering and rendering NPIs on the claim and its chest CT lines must pass the check digit.

    Claim-level NPIs are reported once on the claim; a line NPI is reported on its line only when it
    differs from the claim's NPI of the same role.
    """
    ct_lines = claim_facts(claim, ctx).ct_lines
    if not ct_lines:
        return
    claim_npis = {"billing": claim.billing_npi, "ordering": claim.ordering_npi, "rendering": claim.rendering_npi}
    for role, value in claim_npis.items():
        npi = (value or "").strip()
        if npi and not npi_valid(npi):
            prices = [p for p in (ctx.price_of(ln) for ln in ct_lines) if p is not None]
            total = sum(prices, Decimal(0)) if prices else None
            yield finding(
                "NPI_INVALID", claim, None,
                f"The claim's {role} provider {_shown(npi)} {_npi_problem(npi)}; the claim will be rejected.",
                f"Correct the {role} provider's NPI (check it in NPPES); a valid NPI is 10 digits with a Luhn "
                "check digit.",
                code=None, amount_at_stake=total,
            )
    for ln in ct_lines:
        for role, value in (("ordering", ln.ordering_npi), ("rendering", ln.rendering_npi)):
            npi = (value or "").strip()
            if not npi or npi == (claim_npis[role] or "").strip() or npi_valid(npi):
                continue
            yield finding(
                "NPI_INVALID", claim, ln,
                f"The {role} provider {_shown(npi)} on the {ln.procedure_code} line {_npi_problem(npi)}.",
                f"Correct the line's {role} provider NPI (check it in NPPES); a valid NPI is 10 digits with a "
                "Luhn check digit.",
                amount_at_stake=ctx.price_of(ln),
            )
