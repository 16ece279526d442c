"""Rule family: diagnosis codes on chest CT lines (presence, validity, medical necessity, pointers).

The supporting prefixes, the codes that never support a diagnostic CT and the hints for commonly
mis-keyed header codes are data: ``refdata/data/policy/dx_support.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Final

from ctscrub.model import Claim, Finding, ServiceLine
from ctscrub.refdata.policy import policy_for
from ctscrub.rules.facts import Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, finding, rule

DIAGNOSTIC_CODES: Final = frozenset({"71250", "71260", "71270", "71275"})
SCREENING_REASON_TARGETS: Final = frozenset({"71250", "71260", "71270"})  # where Z12.2 means "bill 71271 instead"
SCREENING_DX: Final = "Z122"


def dotted(code: str) -> str:
    """ICD-10-CM as people read it: the dot after the third character (``R911`` -> ``R91.1``)."""
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


def fiscal_year(dos: date) -> int:
    """The ICD-10-CM fiscal year of a date of service (FY N runs from October 1 of N-1)."""
    return dos.year + 1 if dos.month >= 10 else dos.year



def _dx_policy(dos: date | None) -> dict[str, Any] | None:
    return policy_for("dx_support", dos)


def supporting_prefixes(policy: dict[str, Any]) -> tuple[str, ...]:
    """The supporting prefixes of one policy version, built once (policy versions are cached objects)."""
    cached: tuple[str, ...] | None = policy.get("_supporting_prefixes")
    if cached is None:
        cached = policy["_supporting_prefixes"] = tuple(entry["prefix"] for entry in policy["supporting"])
    return cached


@rule("DX_MISSING", "DX_POINTER_INVALID", when=Trigger.DX_MISSING)
def dx_presence(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A chest CT line needs at least one diagnosis, and every X12 pointer (SV107) must name an HI code.

    When a line has invalid pointers and no resolved codes, only DX_POINTER_INVALID is raised: the
    pointer is the thing to fix.
    """
    n_codes = len(claim.diagnosis_codes)
    for ln in claim_facts(claim, ctx).ct_lines:
        if ln.diagnosis_pointers_invalid:
            pointers = ", ".join(ln.diagnosis_pointers_invalid)
            many = len(ln.diagnosis_pointers_invalid) > 1
            yield finding(
                "DX_POINTER_INVALID", claim, ln,
                f"Diagnosis pointer{'s' if many else ''} {pointers} on this {ln.procedure_code} line "
                f"point{'' if many else 's'} past the "
                f"{n_codes} diagnosis code{'s' if n_codes != 1 else ''} on the claim.",
                "Correct the line's diagnosis pointers (SV107) so each one names a code listed in the claim's "
                "HI segment, or add the missing diagnosis code to HI.",
                amount_at_stake=ctx.price_of(ln),
            )
        elif not ln.diagnosis_codes:
            yield finding(
                "DX_MISSING", claim, ln,
                f"The {ln.procedure_code} line has no diagnosis code.",
                "Add the ICD-10-CM code for the sign, symptom or condition that led to the CT (from the order) "
                "and point the line to it.",
                amount_at_stake=ctx.price_of(ln),
            )


def _invalid_message(ln: ServiceLine, code: str, dos: date | None, hints: dict[str, str]) -> tuple[str, str]:
    period = f"the FY{fiscal_year(dos)} ICD-10-CM code set (date of service {dos.isoformat()})" if dos \
        else "the current ICD-10-CM code set"
    message = f"Diagnosis {dotted(code)} on the {ln.procedure_code} line is not a billable code in {period}."
    hint = hints.get(code)
    if hint:
        return f"{message} {hint}.", f"Replace {dotted(code)} with the complete code the record supports."
    return message, (f"Replace {dotted(code)} with a billable ICD-10-CM code (coded to the last character) "
                     "that the record supports.")


@rule("DX_INVALID", when=Trigger.DX_INVALID)
def dx_invalid(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Every diagnosis on a chest CT line must be billable in the code set of the fiscal year of service.

    ``icd10_billable`` returns None when no loaded code set covers the date: nothing is raised then (the
    reference data records a REFDATA_MISSING note itself).
    """
    for ln in claim_facts(claim, ctx).ct_lines:
        if not ln.diagnosis_codes:
            continue
        for code in dict.fromkeys(ln.diagnosis_codes):
            if ctx.refdata.icd10_billable(code, ln.service_date) is not False:
                continue
            hints: dict[str, str] = (_dx_policy(ln.service_date) or {}).get("invalid_hints", {})
            message, suggestion = _invalid_message(ln, code, ln.service_date, hints)
            yield finding("DX_INVALID", claim, ln, message, suggestion,
                          dataset=ctx.refdata.icd10_dataset(ln.service_date), amount_at_stake=ctx.price_of(ln))


def unsupported_dx_policy(ln: ServiceLine) -> dict[str, Any] | None:
    """The dx_support version when ``ln`` is a diagnostic chest CT none of whose codes supports it, else None.

    Lines without codes are DX_MISSING's, and a Z12.2 on 71250/71260/71270 is SCREENING_ON_DIAGNOSTIC_CODE's
    (an error that already asks for the real indication).
    """
    if ln.procedure_code not in DIAGNOSTIC_CODES or not ln.diagnosis_codes:
        return None
    if ln.procedure_code in SCREENING_REASON_TARGETS and SCREENING_DX in ln.diagnosis_codes:
        return None
    policy = _dx_policy(ln.service_date)
    if policy is None:
        return None
    prefixes = supporting_prefixes(policy)
    if any(code.startswith(prefixes) for code in ln.diagnosis_codes):
        return None
    return policy


@rule("DX_NOT_SUPPORTING", when=Trigger.DX_NOT_SUPPORTING)
def dx_not_supporting(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A diagnostic chest CT (71250/71260/71270/71275) needs a code among LCD L33459's indications.

    A warning, because the LCD's own code list was not loaded and other codes can be justified by the record.
    """
    for ln in claim_facts(claim, ctx).ct_lines:
        policy = unsupported_dx_policy(ln)
        if policy is None:
            continue
        listed = ", ".join(dotted(c) for c in dict.fromkeys(ln.diagnosis_codes))
        reasons = [policy["not_supporting"][c] for c in dict.fromkeys(ln.diagnosis_codes)
                   if c in policy["not_supporting"]]
        message = (f"None of the diagnoses on the {ln.procedure_code} line ({listed}) is an indication for a "
                   "diagnostic chest CT.")
        if reasons:
            message += " " + "; ".join(reasons) + "."
        yield finding(
            "DX_NOT_SUPPORTING", claim, ln, message,
            "Code the sign, symptom or condition from the order that led to the CT (for example R91.1 lung "
            "nodule, R05.1 acute cough, R07.89 chest pain, C34.xx lung cancer), or hold the claim if the "
            "record shows no indication.",
        )


@rule("SCREENING_ON_DIAGNOSTIC_CODE", when=Trigger.SCREENING_DX)
def screening_on_diagnostic(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Z12.2 (lung cancer screening) on 71250/71260/71270: a screening is billed as 71271 (NCD 210.14)."""
    for ln in claim_facts(claim, ctx).ct_lines:
        if ln.procedure_code in SCREENING_REASON_TARGETS and SCREENING_DX in ln.diagnosis_codes:
            yield finding(
                "SCREENING_ON_DIAGNOSTIC_CODE", claim, ln,
                f"Z12.2 (encounter for lung cancer screening) is a reason for the diagnostic chest CT "
                f"{ln.procedure_code}; screening is not a covered reason for a diagnostic CT.",
                "If the study was a lung cancer screening, bill 71271 with Z87.891 or F17.21x; if it was "
                "diagnostic, replace Z12.2 with the sign, symptom or condition that led to the CT.",
                amount_at_stake=ctx.price_of(ln),
            )
