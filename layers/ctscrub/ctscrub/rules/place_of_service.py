"""Rule family: place of service on chest CT lines (the valid code set is ``place_of_service.json``)."""

from __future__ import annotations

from collections.abc import Iterator

from ctscrub.model import Claim, Finding
from ctscrub.refdata.policy import load_policy, policy_for, policy_set
from ctscrub.rules.coding import line_ref, shown
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule


@rule("POS_INVALID", when=Trigger.POS_INVALID)
def pos_invalid(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A chest CT line needs a place of service from the CMS code set (two digits, assigned)."""
    dataset = load_policy("place_of_service")["dataset"]
    for ln in claim_facts(claim, ctx).ct_lines:
        table = policy_for("place_of_service", ln.service_date)
        if table is None:
            continue
        pos = (ln.place_of_service or "").strip()
        if pos in policy_set(table, "valid"):
            continue
        if not pos:
            message = f"Line {ln.number} ({ln.procedure_code}) has no place of service."
            fix = (f"Enter the two-digit CMS place of service where the patient had the scan (for example 11 "
                   f"office, 22 on-campus outpatient hospital) on the claim or on {line_ref(ln)}.")
        else:
            message = (f"Line {ln.number} ({ln.procedure_code}) has place of service {shown(pos)}, which is not a "
                       f"code in the CMS place of service code set.")
            padded = pos.zfill(2)
            if pos.isdigit() and len(pos) == 1 and padded in policy_set(table, "valid"):
                fix = f"Write the place of service on {line_ref(ln)} as two digits: {padded}."
            else:
                fix = (f"Replace it on {line_ref(ln)} with the two-digit CMS place of service where the patient had "
                       f"the scan (for example 11 office, 22 on-campus outpatient hospital).")
        yield finding("POS_INVALID", claim, ln, message, fix, dataset=dataset, amount_at_stake=ctx.price_of(ln))
