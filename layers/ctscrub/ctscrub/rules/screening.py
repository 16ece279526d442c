"""Rule family: lung cancer screening with low-dose CT (71271), NCD 210.14.

Ages by payer profile, the tobacco codes, the symptom prefixes and the screening interval are data:
``refdata/data/policy/ldct.json``, versioned by date of service (the NCD's 2022-02-10 age change).

Payer profile: ``claim.payer`` MEDICARE uses the NCD; COMMERCIAL uses USPSTF 2021 ages (50-80).
LDCT_SMOKING_DX is a Medicare claim-processing edit, so for a commercial payer it is a warning
(the payer's own policy decides). The interval check is the same for both: USPSTF screening is annual too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Final

from ctscrub.model import Claim, Finding, Payer, ServiceLine, Severity
from ctscrub.refdata.policy import policy_for, policy_set
from ctscrub.rules.diagnosis import dotted
from ctscrub.rules.facts import Trigger
from ctscrub.rules.registry import RuleContext, finding, rule

LDCT: Final = "71271"
VOID_FREQUENCY: Final = "8"  # CLM05-3: a void cancels the screen, it is neither checked nor recorded
_PROFILE_LABEL: Final = {Payer.MEDICARE: "Medicare (NCD 210.14)",
                  Payer.COMMERCIAL: "the commercial payer profile (USPSTF 2021)"}


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date (a 29 February birthday counts from 1 March in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def next_eligible(last_screen: date, full_months: int) -> date:
    """First day a new screen is payable: ``full_months`` full months after the month of the last screen.

    Last screen 2025-03-15, 11 full months (April 2025 .. February 2026): eligible from 2026-03-01.
    """
    months = last_screen.month + full_months  # zero-based month index of the eligible month, from January
    return date(last_screen.year + months // 12, months % 12 + 1, 1)


def in_age_range(claim: Claim, dos: date, policy: dict[str, Any]) -> bool:
    """The patient's age on ``dos`` is inside the payer profile's range (True without a birth date)."""
    if claim.birth_date is None:
        return True
    low, high = policy["age"][claim.payer]  # a StrEnum member is its value as a key (``.value`` is a Python call)
    return bool(low <= age_on(claim.birth_date, dos) <= high)


def has_tobacco_dx(claim: Claim, ln: ServiceLine, policy: dict[str, Any]) -> bool:
    tobacco = policy_set(policy, "tobacco_codes")
    return not (tobacco.isdisjoint(ln.diagnosis_codes) and tobacco.isdisjoint(claim.diagnosis_codes))


def symptom_codes(ln: ServiceLine, policy: dict[str, Any]) -> list[str]:
    prefixes: tuple[str, ...] | None = policy.get("_symptom_prefixes")
    if prefixes is None:  # built once per policy version (versions are cached objects)
        prefixes = policy["_symptom_prefixes"] = tuple(policy["symptom_prefixes"])
    return [c for c in dict.fromkeys(ln.diagnosis_codes) if c.startswith(prefixes)]


def screen_lines(claim: Claim) -> list[tuple[ServiceLine, date, dict[str, Any]]]:
    """The claim's 71271 lines that have a date of service covered by the LDCT policy table.

    A list built in one loop, not a generator: the trigger screen and three rules ask for it on every
    claim with a 71271.
    """
    out = []
    for ln in claim.lines:
        if ln.procedure_code == LDCT:
            dos = ln.service_date
            if dos is not None:
                policy = policy_for("ldct", dos)
                if policy is not None:
                    out.append((ln, dos, policy))
    return out


@rule("LDCT_AGE", when=Trigger.LDCT_AGE)
def ldct_age(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """71271 is covered only inside the payer profile's age range on the date of service.

    Medicare (NCD 210.14): 50-77 from 2022-02-10, 55-77 before; commercial (USPSTF 2021): 50-80. No
    birth date, no finding. Messages state the range and the age in whole years, never the birth date.
    """
    if claim.birth_date is None:
        return
    profile = claim.payer  # a StrEnum: a key equal to its value
    for ln, dos, policy in screen_lines(claim):
        if in_age_range(claim, dos, policy):
            continue
        low, high = policy["age"][profile]
        age = age_on(claim.birth_date, dos)
        basis = policy["age_source"][profile]
        if claim.payer is Payer.MEDICARE:
            suggestion = ("If the CT was done for symptoms or a finding, bill the diagnostic code (71250) with "
                          "that diagnosis; otherwise Medicare will not cover the screening: obtain an ABN before "
                          "the service (modifier GA) or do not bill Medicare.")
        else:
            suggestion = ("Check the payer's lung cancer screening policy and prior authorization; if the CT was "
                          "done for symptoms or a finding, bill the diagnostic code (71250) with that diagnosis.")
        yield finding(
            "LDCT_AGE", claim, ln,
            f"Lung cancer screening (71271) is covered for ages {low}-{high} on this date of service under "
            f"{_PROFILE_LABEL[claim.payer]}; the patient was {age} on the date of service.",
            suggestion, source=basis, amount_at_stake=ctx.price_of(ln),
        )


@rule("LDCT_SMOKING_DX", when=Trigger.LDCT_NO_TOBACCO)
def ldct_smoking_dx(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """71271 denies without Z87.891 or F17.210/.211/.213/.218/.219 on the line or the claim (NCD 210.14 edit).

    Medicare: error. Commercial: warning, since the diagnosis edit is Medicare's claim processing rule.
    """
    for ln, _dos, policy in screen_lines(claim):
        if has_tobacco_dx(claim, ln, policy):
            continue
        medicare = claim.payer is Payer.MEDICARE
        yield finding(
            "LDCT_SMOKING_DX", claim, ln,
            "The lung cancer screening (71271) has no tobacco-use diagnosis; "
            + ("Medicare denies 71271 without Z87.891 or F17.210, F17.211, F17.213, F17.218 or F17.219."
               if medicare else "most payers expect one to show the patient meets the smoking-history criteria."),
            "Add Z87.891 (personal history of nicotine dependence, former smoker) or the F17.21x code for a "
            "current cigarette smoker, as documented in the order or shared decision-making note.",
            severity=None if medicare else Severity.WARNING,
            amount_at_stake=ctx.price_of(ln) if medicare else None,
        )


@rule("LDCT_SYMPTOMATIC", when=Trigger.LDCT_SYMPTOMS)
def ldct_symptomatic(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """71271 is for asymptomatic patients: symptom or finding codes on the line suggest a diagnostic CT."""
    for ln, _dos, policy in screen_lines(claim):
        symptoms = symptom_codes(ln, policy)
        if not symptoms:
            continue
        listed = ", ".join(dotted(c) for c in symptoms)
        yield finding(
            "LDCT_SYMPTOMATIC", claim, ln,
            f"The lung cancer screening (71271) carries symptom or finding codes ({listed}); screening is for "
            "patients without symptoms, so this looks like a diagnostic CT.",
            "If the CT was ordered for the symptom or finding, bill 71250 with that diagnosis instead of 71271; "
            "if it was a screening, remove codes the record does not support as reasons for the study.",
        )


def _by_date(screen: tuple[ServiceLine, date, dict[str, Any]]) -> date:
    return screen[1]


def _last_before(dates: list[date], dos: date) -> date | None:
    earlier = [d for d in dates if d < dos]
    return max(earlier) if earlier else None


@rule("LDCT_FREQUENCY", when=Trigger.LDCT)
def ldct_frequency(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """71271 is annual: payable from the first day after 11 full months past the month of the last screen.

    Earlier screens come from ``ctx.screening_history`` (other claims and earlier uploads) and from the
    claim's own 71271 lines; without a history only the claim is checked. Only screens strictly before
    the date of service count, so reprocessing an upload never flags a screen against itself.

    Who records: this rule, after checking each line, records the screen in the history; a screen this
    rule flags is not recorded (it is expected to deny, so it must not restart the clock). Voids
    (frequency code 8) are neither checked nor recorded.
    """
    if claim.frequency_code == VOID_FREQUENCY:
        return
    screens = screen_lines(claim)  # a fresh list: sorted in place below
    if not screens:
        return
    if len(screens) > 1:
        screens.sort(key=_by_date)
    history = ctx.screening_history
    previous = history.previous_screens(claim) if history is not None else []
    accepted: dict[date, int] = {}  # this claim's screens that passed, date -> line number
    for ln, dos, policy in screens:
        # most beneficiaries have no earlier screen: nothing to look through then
        last = _last_before([*previous, *accepted], dos) if previous or accepted else None
        eligible = next_eligible(last, policy["frequency_full_months"]) if last is not None else None
        if last is not None and eligible is not None and dos < eligible:
            where = f"on line {accepted[last]} of this claim" if last in accepted else "on a claim already processed"
            yield finding(
                "LDCT_FREQUENCY", claim, ln,
                f"A lung cancer screening (71271) for this beneficiary was billed {where} with date of service "
                f"{last.isoformat()}; the next screen is covered from {eligible.isoformat()} "
                f"({policy['frequency_full_months']} full months after the month of the last screen).",
                f"Do not bill this screen before {eligible.isoformat()}; if the CT was done for a new symptom or "
                "finding, bill the diagnostic code (71250) with that diagnosis.",
                amount_at_stake=ctx.price_of(ln),
            )
            continue
        accepted.setdefault(dos, ln.number)
        if history is not None:
            history.record_screen(claim, dos)
