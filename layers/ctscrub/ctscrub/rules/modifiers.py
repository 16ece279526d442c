"""Rule family: modifiers on chest CT lines (validity, conflicts, setting, repeats, distinct service, payment notes).

Which modifiers exist and which never apply to CT (with their end dates) is data:
``refdata/data/policy/modifiers.json``; facility places of service come from ``place_of_service.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, Final

from ctscrub.model import Claim, Finding, ServiceLine
from ctscrub.refdata.policy import load_policy, policy_for, policy_set
from ctscrub.rules.coding import DISTINCT_MODIFIERS, REPEAT_MODIFIERS, line_ref, shown
from ctscrub.rules.facts import ClaimFacts, Peer, Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, SeenLine, finding, rule

_MODIFIER_FORMAT: Final = re.compile(r"[A-Z0-9]{2}")


def modifier_issue(raw: str, table: dict[str, Any]) -> str | None:
    """What is wrong with one modifier under a modifiers table version: "malformed", "not_for_ct",
    "unknown", or None when it is a valid modifier that applies to CT."""
    mod = raw.strip().upper()
    if not _MODIFIER_FORMAT.fullmatch(mod):
        return "malformed"
    if mod in table["not_for_ct"]:
        return "not_for_ct"
    if mod not in policy_set(table, "valid"):
        return "unknown"
    return None


@rule("MODIFIER_INVALID", when=Trigger.MODIFIER_INVALID)
def modifier_invalid(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Every modifier must be two letters or digits, a real CPT/HCPCS modifier, and applicable to CT."""
    dataset = load_policy("modifiers")["dataset"]
    for ln in claim.lines:
        if not ln.modifiers or not ln.is_chest_ct:
            continue
        table = policy_for("modifiers", ln.service_date)
        if table is None:
            continue
        for raw in ln.modifiers:
            issue = modifier_issue(raw, table)
            if issue is None:
                continue
            mod = raw.strip().upper()
            if issue == "malformed":
                what = f"modifier {shown(raw)} is malformed: a modifier is exactly two letters or digits"
                fix = f"Correct or remove the malformed modifier on {line_ref(ln)}."
            elif issue == "not_for_ct":
                what = f"modifier {mod} does not apply to CT: {table['not_for_ct'][mod]}"
                fix = f"Remove {mod} from {line_ref(ln)}."
            else:
                what = f"modifier {mod} is not a recognized CPT or HCPCS modifier"
                fix = f"Correct {mod} on {line_ref(ln)} to the intended modifier, or remove it."
            yield finding(
                "MODIFIER_INVALID", claim, ln,
                f"Line {ln.number} ({ln.procedure_code}): {what}. A line with an invalid modifier is rejected.",
                fix, dataset=dataset, amount_at_stake=ctx.price_of(ln),
            )


@rule("MODIFIER_CONFLICT", when=Trigger.MODIFIER_CONFLICT)
def modifier_conflict(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """26 with TC (the two halves of the global) and 76 with 77 contradict each other on one line."""
    for ln in claim.lines:
        if len(ln.modifiers) < 2 or not ln.is_chest_ct:
            continue
        if ln.has_modifier("26") and ln.has_modifier("TC"):
            yield finding(
                "MODIFIER_CONFLICT", claim, ln,
                f"Line {ln.number} carries both 26 (interpretation only) and TC (technical part only) on "
                f"{ln.procedure_code}: the two halves together are the global service, so the line contradicts "
                f"itself.",
                f"If this provider did both the scan and the interpretation, bill {ln.procedure_code} without 26 or "
                f"TC on {line_ref(ln)}; otherwise keep only the modifier of the part this provider did.",
                amount_at_stake=ctx.price_of(ln),
            )
        if ln.has_modifier("76") and ln.has_modifier("77"):
            yield finding(
                "MODIFIER_CONFLICT", claim, ln,
                f"Line {ln.number} carries both 76 (repeat by the same physician) and 77 (repeat by another "
                f"physician) on {ln.procedure_code}: only one can be true.",
                f"Keep 76 on {line_ref(ln)} if the same physician repeated the study, 77 if another physician did; "
                f"remove the other.",
                amount_at_stake=ctx.price_of(ln),
            )


def facility_without_26(ln: ServiceLine) -> dict[str, Any] | None:
    """The place-of-service table version when ``ln`` is a global or TC line at a facility place of service."""
    pos = ln.place_of_service
    if not pos or "26" in ln.modifiers:
        return None
    table = policy_for("place_of_service", ln.service_date)
    if table is None or pos not in policy_set(table, "facility"):
        return None
    return table


@rule("FACILITY_REQUIRES_26", when=Trigger.FACILITY_WITHOUT_26)
def facility_requires_26(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """In a facility setting the facility is paid the technical part: the professional line must carry 26."""
    for ln in claim_facts(claim, ctx).ct_lines:
        table = facility_without_26(ln)
        if table is None:
            continue
        pos = ln.place_of_service
        setting = f"place of service {pos} ({table.get('names', {}).get(pos, 'a facility')})"
        if "TC" in ln.modifiers:
            billed, fix = "the technical component (TC)", f"Replace TC with 26 on {line_ref(ln)}"
        else:
            billed, fix = "the global service (no 26 or TC)", f"Add 26 to {line_ref(ln)}"
        yield finding(
            "FACILITY_REQUIRES_26", claim, ln,
            f"Line {ln.number} bills {ln.procedure_code} as {billed} at {setting}, a facility setting: the "
            f"facility is paid for the scan, so a professional claim can bill only the interpretation.",
            f"{fix} and bill only the interpretation; the facility bills the technical part.",
            amount_at_stake=ctx.price_of(ln),
        )


def _dated_ct_lines_with(facts: ClaimFacts, wanted: tuple[str, ...]) -> list[tuple[ServiceLine, str, date]]:
    """Chest CT lines with a date of service that carry one of ``wanted``, with the first such modifier and the date.

    A list built in one loop, not a generator of ``first_of`` calls: the two rules below run on every
    claim with such a modifier.
    """
    out = []
    for ln in facts.ct_lines:
        dos = ln.service_date
        if ln.modifiers and dos is not None:
            for mod in ln.modifiers:
                if mod in wanted:
                    out.append((ln, mod, dos))
                    break
    return out


@rule("REPEAT_WITHOUT_ORIGINAL", when=Trigger.REPEAT_MODIFIER)
def repeat_without_original(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """76/77 mark a repeat: another line of the same code for the patient that date must bill the first study."""
    facts = claim_facts(claim, ctx)
    for ln, mod, dos in _dated_ct_lines_with(facts, REPEAT_MODIFIERS):
        code = ln.procedure_code
        for p in facts.peers(ln):  # a loop, not any(genexpr): a generator per line costs more than the test
            if p.code == code:
                break  # the first study of the day is billed
        else:
            yield finding(
                "REPEAT_WITHOUT_ORIGINAL", claim, ln,
                f"Line {ln.number} bills {code} with {mod} (repeat study), but no other {code} is billed for this "
                f"patient on {dos.isoformat()}: the first study of the day is billed without 76 or 77.",
                f"Remove {mod} from {line_ref(ln)} if this was the only {code} that day; if the first "
                f"study is on another claim, check that it is billed.",
            )


@rule("DISTINCT_WITHOUT_PAIR", when=Trigger.DISTINCT_MODIFIER)
def distinct_without_pair(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """59/X{EPSU} say a service is distinct from another procedure that date; never for a repeat of one code."""
    facts = claim_facts(claim, ctx)
    for ln, mod, dos in _dated_ct_lines_with(facts, DISTINCT_MODIFIERS):
        peers = facts.peers(ln)
        code = ln.procedure_code
        for p in peers:  # a loop, not any(genexpr), as above
            if p.code != code:
                break  # another procedure that day: something to be distinct from
        else:
            yield _distinct_without_pair(claim, ln, mod, dos, peers)


def _distinct_without_pair(claim: Claim, ln: ServiceLine, mod: str, dos: date,
                           peers: list[Peer | SeenLine]) -> Finding:
    code = ln.procedure_code
    if peers:
        return finding("DISTINCT_WITHOUT_PAIR", claim, ln, *distinct_on_repeat(ln, mod, peers[0].ref()))
    return finding(
        "DISTINCT_WITHOUT_PAIR", claim, ln,
        f"Line {ln.number} uses {mod} (distinct service) on {code}, but no other procedure is "
        f"billed for this patient on {dos.isoformat()}: there is nothing for it to be distinct "
        f"from.",
        f"Remove {mod} from {line_ref(ln)}.",
    )


def distinct_on_repeat(ln: ServiceLine, mod: str, other: str) -> tuple[str, str]:
    """DISTINCT_WITHOUT_PAIR's message and fix when the only other line that date (``other``, e.g. "line 1 of
    claim B") bills the same code: the line is a repeat, which 76/77 mark. Also used when that line is on a
    later claim of the upload (``ctscrub.absence_findings``)."""
    code = ln.procedure_code
    return (f"Line {ln.number} uses {mod} on a repeat of {code} ({other} bills the same code that day): 59 and "
            f"XE/XS/XP/XU mark a different procedure, never a repeat of the same code.",
            f"Replace {mod} with 76 (same physician) or 77 (another physician) on {line_ref(ln)}.")


def _reduced_service(ln: ServiceLine) -> tuple[str, str]:
    """Modifier 52: payment is reduced and priced by the contractor from the documentation."""
    return (f"Line {ln.number} bills {ln.procedure_code} with 52 (reduced service): the contractor prices the line "
            f"from the documentation and pays less than the fee schedule amount.",
            f"Send the report that shows what was done and why the study was reduced; if the full study was done, "
            f"remove 52 from {line_ref(ln)}.")


def _ct_equipment(ln: ServiceLine) -> tuple[str, str]:
    """Modifier CT (scanner not meeting NEMA XR-29): the technical component is paid 15% less."""
    if ln.has_modifier("TC"):
        effect = "the technical component on this line is paid 15% less"
    elif ln.has_modifier("26"):
        effect = "the 15% reduction applies to the technical component; this interpretation-only line is not reduced"
    else:
        effect = "the technical part of this global line is paid 15% less"
    return (f"Line {ln.number} bills {ln.procedure_code} with CT (scanner does not meet the NEMA XR-29 dose "
            f"standard): {effect}.",
            "No change needed if the scanner does not meet NEMA XR-29; an upgraded scanner avoids the reduction.")


def _expected_denial(ln: ServiceLine) -> tuple[str, str]:
    """GZ: the provider expects a denial and has no ABN on file, so the provider, not the patient, is liable."""
    return (f"Line {ln.number} bills {ln.procedure_code} with GZ: Medicare is expected to deny it as not reasonable "
            f"and necessary and no signed ABN is on file, so the provider is liable and cannot bill the beneficiary.",
            f"If the patient signed an ABN before the scan, replace GZ with GA on {line_ref(ln)}; otherwise expect "
            f"the denial and do not bill the patient.")


def _excluded_service(ln: ServiceLine) -> tuple[str, str]:
    """GY: the service is statutorily excluded or not a Medicare benefit; it denies and the patient is liable."""
    return (f"Line {ln.number} bills {ln.procedure_code} with GY: the service is declared excluded by statute or "
            f"not a Medicare benefit, so Medicare will deny it and the beneficiary is liable; the denial can be "
            f"sent to a secondary payer.",
            f"Keep GY only if the scan is excluded (for example a routine screening outside any covered benefit); a "
            f"chest CT done for a sign, symptom or condition is a benefit: remove GY from {line_ref(ln)}.")


_NOTES: Final[dict[str, tuple[str, Callable[[ServiceLine], tuple[str, str]]]]] = {
    "52": ("REDUCED_SERVICE", _reduced_service),
    "CT": ("CT_EQUIPMENT_REDUCTION", _ct_equipment),
    "GZ": ("EXPECTED_DENIAL_GZ", _expected_denial),
    "GY": ("EXCLUDED_SERVICE_GY", _excluded_service),
}


PAYMENT_MODIFIERS: Final = tuple(_NOTES)


@rule("REDUCED_SERVICE", "CT_EQUIPMENT_REDUCTION", "EXPECTED_DENIAL_GZ", "EXCLUDED_SERVICE_GY",
      when=Trigger.PAYMENT_MODIFIER)
def modifier_notes(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """What 52, CT, GZ and GY mean for payment and liability (one pass over the modifiers)."""
    for ln in claim.lines:
        if not ln.modifiers or not ln.is_chest_ct:
            continue
        for mod, (rule_id, texts) in _NOTES.items():
            if mod in ln.modifiers:
                message, fix = texts(ln)
                yield finding(rule_id, claim, ln, message, fix)
