"""Rule family: dates of service against the processing date (future dates, timely filing).

The filing limit and the warning window are data: ``refdata/data/policy/timely_filing.json``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date
from functools import lru_cache
from typing import Any

from ctscrub.model import Claim, Finding, Payer, Severity
from ctscrub.refdata.policy import policy_for
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule


@lru_cache(maxsize=4096)  # files repeat the same dates of service
def add_months(d: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (2024-02-29 + 12 months = 2025-02-28)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=4096)  # files repeat the same dates of service
def filing_window(dos: date, as_of: date) -> tuple[dict[str, Any], date, int] | None:
    """(policy, Medicare filing limit, days left) for a date of service up to ``as_of``; None for a future
    date or a date no timely filing policy covers."""
    if dos > as_of:
        return None
    policy = policy_for("timely_filing", dos)
    if policy is None:
        return None
    limit = add_months(dos, policy["medicare_months"])
    return policy, limit, (limit - as_of).days


def filing_at_risk(dos: date, as_of: date, medicare: bool) -> bool:
    """TIMELY_FILING can fire: past the limit (any payer), or within the warning window (Medicare)."""
    window = filing_window(dos, as_of)
    if window is None:
        return False
    policy, _limit, days_left = window
    return days_left < 0 or (medicare and days_left <= policy["warn_days"])


@rule("DOS_FUTURE", when=Trigger.DOS_FUTURE)
def dos_future(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A service cannot be billed before it is furnished: the date of service (or span end) is after today."""
    for ln in claim_facts(claim, ctx).ct_lines:
        last = ln.service_date_end or ln.service_date
        if last is None or last <= ctx.as_of:
            continue
        yield finding(
            "DOS_FUTURE", claim, ln,
            f"The date of service {last.isoformat()} on the {ln.procedure_code} line is after the processing "
            f"date {ctx.as_of.isoformat()}.",
            "Correct the date of service to the date the CT was performed, or hold the claim until the "
            "service has been furnished.",
            amount_at_stake=ctx.price_of(ln),
        )


@rule("TIMELY_FILING", when=Trigger.TIMELY_FILING)
def timely_filing(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Medicare claims must be filed within 12 months of the date of service (42 CFR 424.44).

    The limit is the same calendar date 12 months later (a span uses its from date). Medicare: past the
    limit is an error; within ``warn_days`` of it, the same rule id as a warning giving the days left.
    Commercial payers set their limit by contract (often shorter), which the scrubber does not know:
    past Medicare's 12 months is a warning asking to check the contract; no countdown warning.
    """
    medicare = claim.payer is Payer.MEDICARE
    for ln in claim_facts(claim, ctx).ct_lines:
        dos = ln.service_date
        if dos is None:
            continue
        window = filing_window(dos, ctx.as_of)
        if window is None:
            continue
        policy, limit, days_left = window
        months = policy["medicare_months"]
        if days_left < 0 and medicare:
            yield finding(
                "TIMELY_FILING", claim, ln,
                f"The date of service {dos.isoformat()} is more than {months} months before the processing date; "
                f"the filing limit was {limit.isoformat()}, so Medicare will deny the {ln.procedure_code} line.",
                "Do not bill the beneficiary; file only if an exception applies (e.g. retroactive entitlement or "
                "administrative error, Pub 100-04 ch. 1 §70.7) with the supporting documentation.",
                amount_at_stake=ctx.price_of(ln),
            )
        elif days_left < 0:
            yield finding(
                "TIMELY_FILING", claim, ln,
                f"The date of service {dos.isoformat()} is more than {months} months before the processing date "
                f"(Medicare's limit was {limit.isoformat()}); the payer's own filing limit is set by its contract "
                "and is often shorter.",
                "Check the timely filing limit in the payer contract before submitting.",
                severity=Severity.WARNING, source="Payer contract; Medicare benchmark 42 CFR 424.44",
            )
        elif medicare and days_left <= policy["warn_days"]:
            yield finding(
                "TIMELY_FILING", claim, ln,
                f"The filing limit for the date of service {dos.isoformat()} is {limit.isoformat()}: "
                f"{days_left} day{'s' if days_left != 1 else ''} left to file the {ln.procedure_code} line.",
                f"Submit the claim no later than {limit.isoformat()}.",
                severity=Severity.WARNING,
            )
