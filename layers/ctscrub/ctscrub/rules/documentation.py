"""Rule family: the source guide's documentation checklist (domain file section 8).

Each check runs only when the input carries its item (``claim.documented``, from ``model.DOC_ITEMS``):
a CSV without an ``order_signed`` column says nothing about orders, so DOC_ORDER stays silent. When the
item is carried, an empty cell, a blank text or a "no" fires. Findings name what is missing, never the
documentation text itself (indication and history may hold clinical details).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ctscrub.model import Claim, Finding, ServiceLine, Severity
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def _interpreted(ln: ServiceLine) -> bool:
    """Global and -26 lines include the interpretation; a TC-only line does not need the report."""
    return not ln.has_modifier("TC")


@dataclass(frozen=True, slots=True)
class LineCheck:
    item: str  # key of model.DOC_ITEMS
    rule_id: str
    missing: Callable[[ServiceLine], bool]
    what: str  # completes "The record for the 71250 line has no ..."
    fix: str


LINE_CHECKS: Final[tuple[LineCheck, ...]] = (
    LineCheck("service_date", "DOC_SERVICE_DATE", lambda ln: ln.service_date is None,
              "date of service",
              "Enter the date the CT was performed, as shown in the report."),
    LineCheck("order", "DOC_ORDER", lambda ln: ln.documentation.order_signed is not True,
              "signed order from the ordering provider",
              "Obtain the ordering provider's signed order (or signed intent to order) before billing; a "
              "diagnostic test must be ordered by the treating practitioner."),
    LineCheck("indication", "DOC_INDICATION", lambda ln: _blank(ln.documentation.indication),
              "documented indication (reason for the CT)",
              "Get the ordering provider's note stating the signs, symptoms or condition that make the CT "
              "medically necessary, and make sure the diagnosis codes match it."),
    LineCheck("report", "DOC_REPORT",
              lambda ln: _interpreted(ln) and ln.documentation.report_signed is not True,
              "signed radiology report",
              "Have the interpreting radiologist sign the written report before billing the interpretation "
              "(global or -26)."),
    LineCheck("signature", "DOC_SIGNATURE", lambda ln: _blank(ln.documentation.rendering_credentials),
              "signature and credentials of the rendering provider",
              "Add the rendering provider's signature and credentials (e.g. MD, DO) to the report or record."),
    LineCheck("history", "DOC_HISTORY", lambda ln: _blank(ln.documentation.history),
              "relevant history, exam findings or prior imaging",
              "Add the relevant history, exam findings and previous imaging that support the study to the "
              "record."),
)


def _claim_stake(claim: Claim, ctx: RuleContext) -> Decimal | None:
    prices = [p for p in (ctx.price_of(ln) for ln in claim_facts(claim, ctx).ct_lines) if p is not None]
    return sum(prices, Decimal(0)) if prices else None


@rule("DOC_BENEFICIARY_NAME", when=Trigger.DOCUMENTED)
def doc_beneficiary_name(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """The record must identify the beneficiary by name; reported once per claim with chest CT lines."""
    if "beneficiary_name" not in claim.documented or claim.has_beneficiary_name \
            or not claim_facts(claim, ctx).ct_lines:
        return
    yield finding(
        "DOC_BENEFICIARY_NAME", claim, None,
        "The claim has no patient last name; the record and the claim must identify the beneficiary.",
        "Enter the patient's name exactly as on the Medicare card and in the medical record.",
        code=None, amount_at_stake=_claim_stake(claim, ctx),
    )


@rule("DOC_SERVICE_DATE", "DOC_ORDER", "DOC_INDICATION", "DOC_REPORT", "DOC_SIGNATURE", "DOC_HISTORY",
      when=Trigger.DOCUMENTED)
def doc_line_items(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Each carried checklist item must be present for every chest CT line (errors state the dollars at stake)."""
    checks = [c for c in LINE_CHECKS if c.item in claim.documented]
    if not checks:
        return
    for ln in claim_facts(claim, ctx).ct_lines:
        for check in checks:
            if not check.missing(ln):
                continue
            f = finding(check.rule_id, claim, ln,
                        f"The record for the {ln.procedure_code} line has no {check.what}.", check.fix)
            if f.severity is Severity.ERROR:  # errors carry the dollars at stake; warnings do not
                f.amount_at_stake = ctx.price_of(ln)
            yield f
