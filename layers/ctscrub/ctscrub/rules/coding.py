"""Rule family: coding — deleted codes, contrast coding, code-pair edits, units and duplicate lines.

It also holds the message helpers that the modifier and place-of-service rules share (the same-patient,
same-date peers of a line are in ``rules/facts.py``). Deleted codes, default pair edits and default unit
limits are data: ``refdata/data/policy/{deleted_codes,ptp_default,mue_default}.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Final

from ctscrub.model import Claim, Finding, ServiceLine, Severity
from ctscrub.refdata.policy import load_policy, policy_for
from ctscrub.refdata.types import MueLimit, PtpEdit
from ctscrub.rules.facts import ClaimFacts, Peer, Trigger, claim_facts
from ctscrub.rules.registry import RuleContext, SeenLine, finding, remember, rule

DISTINCT_MODIFIERS: Final = ("59", "XE", "XS", "XP", "XU")  # NCCI-associated "distinct service" modifiers
REPEAT_MODIFIERS: Final = ("76", "77")
_DISTINCT_SET: Final = frozenset(DISTINCT_MODIFIERS)
_REPEAT_SET: Final = frozenset(REPEAT_MODIFIERS)
CONTRAST_PARTNER: Final = {"71250": "71260", "71260": "71250"}  # without + with in one session = 71270


# --- shared helpers ------------------------------------------------------------------------------


def line_ref(ln: ServiceLine) -> str:
    """"line 2" or "line 2 (row 14)": how a message names a line of the claim being checked."""
    location = ln.location  # put together on each call: once here
    return f"line {ln.number} ({location})" if location else f"line {ln.number}"


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def units_text(units: Decimal) -> str:
    return f"{units.normalize():f}"


def shown(value: str) -> str:
    """A raw input value safe to quote in a message: short codes only, never free text (it may be patient data)."""
    v = value.strip()
    if 0 < len(v) <= 4 and v.isascii() and v.replace("-", "").isalnum():
        return f"'{v}'"
    return f"a malformed value ({len(v)} characters)"


def first_of(modifiers: tuple[str, ...], wanted: tuple[str, ...]) -> str | None:
    """The first of ``modifiers`` that is one of ``wanted``."""
    return next((m for m in modifiers if m in wanted), None)


# --- CODE_DELETED --------------------------------------------------------------------------------


@cache
def ever_deleted() -> frozenset[str]:
    """Every code some version of the table lists as deleted (the trigger of CODE_DELETED)."""
    return frozenset(code for v in load_policy("deleted_codes")["versions"] for code in v["codes"])


@rule("CODE_DELETED", when=Trigger.DELETED_CODE)
def deleted_code(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A code deleted from HCPCS/CPT before the date of service is rejected (G0297 -> 71271 since 2021)."""
    candidates = ever_deleted()
    for ln in claim.lines:
        if ln.procedure_code not in candidates:
            continue
        table = policy_for("deleted_codes", ln.service_date)
        entry = table["codes"].get(ln.procedure_code) if table else None
        if entry is None:
            continue
        code, new = ln.procedure_code, entry["replacement"]
        yield finding(
            "CODE_DELETED", claim, ln,
            f"Line {ln.number} bills {code}, {entry['label']}, which was deleted on {entry['deleted_on']}: "
            f"Medicare rejects a deleted code.",
            f"Bill {new} instead of {code} on {line_ref(ln)}.",
            dataset=load_policy("deleted_codes")["dataset"], amount_at_stake=ctx.price_of(ln),
        )


# --- CONTRAST_COMBINED_REQUIRED ------------------------------------------------------------------


@rule("CONTRAST_COMBINED_REQUIRED", when=Trigger.CONTRAST_PAIR)
def contrast_combined(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """71250 and 71260 for one patient on one date are one study without then with contrast: 71270.

    Raised on the later of the two lines. When either line carries 59/X{EPSU} (separate session), it is a
    warning: the record must show two sessions.
    """
    facts = claim_facts(claim, ctx)
    for ln in claim.lines:
        partner = CONTRAST_PARTNER.get(ln.procedure_code)
        if partner is None or ln.service_date is None:
            continue
        # the first earlier line of the partner code; a loop, not next(genexpr): a generator per line costs
        # more than the test (so in the same-day rules below)
        for prior in facts.peers(ln):
            if prior.before and prior.code == partner:
                break
        else:
            continue
        message = (
            f"Line {ln.number} bills {ln.procedure_code} and {prior.ref()} bills {partner} for the same patient "
            f"on {ln.service_date.isoformat()}: a chest CT without and then with contrast in one session is "
            f"billed as one study, 71270, not as 71250 plus 71260."
        )
        if not (_DISTINCT_SET.isdisjoint(ln.modifiers) and _DISTINCT_SET.isdisjoint(prior.modifiers)):
            yield finding(
                "CONTRAST_COMBINED_REQUIRED", claim, ln,
                message + " A distinct-service modifier says they were separate sessions.",
                "Keep both lines only if the record documents two separate sessions that day; otherwise bill "
                "71270 on one line instead of 71250 and 71260.",
                severity=Severity.WARNING,
            )
            continue
        if prior.same_claim:
            fix = f"change {prior.ref()} to 71270 and delete {line_ref(ln)}"
        else:
            fix = (f"send a corrected claim (frequency 7) for claim {prior.claim_id} with 71270 and delete "
                   f"{line_ref(ln)} from this claim")
        yield finding(
            "CONTRAST_COMBINED_REQUIRED", claim, ln, message,
            f"Bill 71270 on one line instead of 71250 and 71260: {fix}.",
            amount_at_stake=ctx.price_of(ln),
        )


# --- CONTRAST_MISMATCH ---------------------------------------------------------------------------

_WITH_CONTRAST: Final = ("71260", "71270", "71275")


def contrast_problem(code: str, contrast: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) when the documented contrast contradicts the code, else None."""
    if code == "71250" and contrast == "iv":
        return ("71250 is a chest CT without contrast, but the record documents IV contrast",
                "bill 71260 (with contrast) or 71270 (without, then with contrast)")
    if code == "71271" and contrast == "iv":
        return ("71271 is a low-dose screening CT done without contrast, but the record documents IV contrast",
                "bill the diagnostic code the study supports (71260 or 71270) with its diagnostic reason")
    if code in _WITH_CONTRAST and contrast in ("none", "oral"):
        what = "no contrast" if contrast == "none" else "oral contrast only, which does not count as contrast"
        return (f"{code} is a chest CT with intravascular contrast, but the record documents {what}",
                "bill 71250 (without contrast)")
    return None


@rule("CONTRAST_MISMATCH", when=Trigger.CONTRAST_DOCUMENTED)
def contrast_mismatch(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """The documented contrast must match the code: 'with contrast' means intravascular, oral alone is not."""
    for ln in claim_facts(claim, ctx).ct_lines:
        contrast = (ln.documentation.contrast or "").strip().lower()
        problem = contrast_problem(ln.procedure_code, contrast) if contrast else None
        if problem is None:
            continue
        what, fix = problem
        yield finding(
            "CONTRAST_MISMATCH", claim, ln, f"Line {ln.number}: {what}.",
            f"On {line_ref(ln)}, {fix}; or correct the contrast in the record if it is wrong.",
            amount_at_stake=ctx.price_of(ln),
        )


# --- PTP_BUNDLED ---------------------------------------------------------------------------------


def _ptp_verdict(edit: PtpEdit, column2_modifiers: tuple[str, ...]) -> Severity | None:
    """What a pair edit means for the column-2 line: an error, a warning (indicator unknown), or nothing."""
    indicator = edit.modifier_indicator
    if indicator == "9":
        return None
    if column2_modifiers and not _DISTINCT_SET.isdisjoint(column2_modifiers):  # 59/X{EPSU} on the line
        if indicator == "1":
            return None
        if indicator is None:
            return Severity.WARNING
    return Severity.ERROR


def _ptp_texts(edit: PtpEdit, col2_ref: str, col1_ref: str, col2_mods: tuple[str, ...],
               severity: Severity) -> tuple[str, str]:
    c1, c2 = edit.column1, edit.column2
    base = (f"{c2} on {col2_ref} is bundled into {c1} on {col1_ref} for the same patient and date: "
            f"{edit.rationale}. Edit set: {edit.dataset}.")
    if severity is Severity.WARNING:
        mod = first_of(col2_mods, DISTINCT_MODIFIERS) or "59"
        return (base + f" {col2_ref.capitalize()} carries {mod} to bypass the edit, but the CMS modifier "
                       f"indicator for this pair is unknown: if it is 0, {c2} is denied anyway.",
                f"Load the CMS practitioner PTP file (`ctscrub refdata import`) to confirm that {c1}/{c2} can be "
                f"bypassed; keep {mod} only if the record documents a separate session or encounter.")
    if edit.modifier_indicator == "0":
        return (base + f" The edit's modifier indicator is 0: no modifier can bypass it, so {c2} is denied.",
                f"Remove {c2} ({col2_ref}); {c1} pays for the service.")
    unknown = " (the CMS modifier indicator is unknown)" if edit.modifier_indicator is None else ""
    return (base + f" Without 59, XE, XS, XP or XU on {col2_ref}, {c2} is denied{unknown}.",
            f"Remove {c2} ({col2_ref}); {c1} pays for the service. Only if the two studies were separate "
            f"sessions documented in the record, add XE (or 59) to {col2_ref}.")


def _pair_edits(ctx: RuleContext, code: str, other: str, dos: date,
                version: object) -> tuple[PtpEdit | None, PtpEdit | None]:
    """(the edit with ``other`` as column 1 and ``code`` as column 2, the reverse edit): ``refdata.ptp_edit``
    both ways in one memo entry per reference version of the date (``version``), not per date: the refdata
    memo is keyed by date, and a file spans many dates but few versions."""
    key = ("ptp pair", code, other, version)
    hit: tuple[PtpEdit | None, PtpEdit | None] | None = ctx.memo.get(key)
    if hit is None:
        ptp_edit = ctx.refdata.ptp_edit
        hit = (ptp_edit(other, code, dos), ptp_edit(code, other, dos))
        if len(code) + len(other) <= 20:  # real codes have 5 characters: a hostile file's long values are not kept
            remember(ctx.memo, key, hit)
    return hit


@rule("PTP_BUNDLED", when=Trigger.CODE_PAIR)
def ptp_bundled(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """A column-2 code billed with its column-1 code the same date is denied unless the edit allows a bypass.

    Within a claim the finding goes on the column-2 line; across claims of the upload it goes on the later
    line (the earlier claim is already reported) and names the other claim's line.
    """
    facts = claim_facts(claim, ctx)
    version_key = getattr(ctx.refdata, "version_key", None)  # rule-test stand-ins lack it: use the date
    for ln in facts.ct_lines:
        dos = ln.service_date
        if dos is None:
            continue
        version = version_key(dos) if version_key is not None else dos
        code = ln.procedure_code
        bundled_here = False
        for p in facts.peers(ln):
            if p.code == code:
                continue
            edit, reverse = _pair_edits(ctx, code, p.code, dos, version)
            if edit is not None and not bundled_here:  # this line is column 2
                severity = _ptp_verdict(edit, ln.modifiers)
                if severity is None:
                    continue
                bundled_here = True
                message, fix = _ptp_texts(edit, line_ref(ln), p.ref(), ln.modifiers, severity)
                yield finding("PTP_BUNDLED", claim, ln, message, fix, severity=severity, dataset=edit.dataset,
                              amount_at_stake=ctx.price_of(ln) if severity is Severity.ERROR else None)
                continue
            if p.same_claim or reverse is None:
                continue  # the other line of this claim gets its own finding when it is column 2
            severity = _ptp_verdict(reverse, p.modifiers)  # the earlier claim's line is column 2
            if severity is None:
                continue
            message, fix = _ptp_texts(reverse, p.ref(), line_ref(ln), p.modifiers, severity)
            yield finding("PTP_BUNDLED", claim, ln, message,
                          fix + f" The column-2 line is on claim {p.claim_id}: correct or void that claim.",
                          severity=severity, dataset=reverse.dataset)


# --- UNITS_EXCEED_MUE ----------------------------------------------------------------------------


def unit_limit(ctx: RuleContext, code: str, dos: date | None) -> MueLimit | None:
    """The loaded CMS MUE, else the bundled default of one unit per study."""
    limit = ctx.refdata.mue(code, dos)
    if limit is not None:
        return limit
    table = policy_for("mue_default", dos)
    if table is None:
        return None
    by_code: dict[str, MueLimit] | None = table.get("_by_code")
    if by_code is None:  # built once per table version (the loaded policy is cached for the process)
        dataset = load_policy("mue_default")["dataset"]
        by_code = {e["code"]: MueLimit(code=e["code"], units=int(e["units"]), adjudication=e["adjudication"],
                                       rationale=e["rationale"], dataset=dataset) for e in table["limits"]}
        table["_by_code"] = by_code
    return by_code.get(code)


def day_units(ln: ServiceLine, facts: ClaimFacts) -> tuple[Decimal, list[Peer | SeenLine]]:
    """The units of ``ln``'s code billed for the patient on its date (its own and its same-code peers'), and
    those peers: what a per-day MUE is checked against (here and in the trigger screen)."""
    same = [p for p in facts.peers(ln) if p.code == ln.procedure_code]
    return ln.units + sum((p.units for p in same), Decimal(0)), same


def _per_day_finding(claim: Claim, ctx: RuleContext, ln: ServiceLine, limit: MueLimit,
                     facts: ClaimFacts) -> Finding | None:
    total, same = day_units(ln, facts)
    if total <= limit.units:
        return None
    code, dos = ln.procedure_code, ln.service_date.isoformat() if ln.service_date else "the date of service"
    # name the lines in billing order: earlier claims first, then this claim's by line number
    here = sorted([ln.number, *(p.line for p in same if p.same_claim)])
    where = ", ".join([*(p.ref() for p in same if not p.same_claim), *(f"line {n}" for n in here)])
    if limit.adjudication == 3:
        kind = "a per-day limit that is payable on appeal with documentation of medical necessity"
        fix = (f"Check the units of {code} on {dos}; if more than {limit.units} are correct, expect a denial and "
               f"appeal with the records that show each study was medically necessary.")
    else:
        kind = "an absolute per-day limit: units above it are not paid, even on appeal"
        fix = f"Correct the units: no more than {limit.units} of {code} can be paid for one patient on one date."
    return finding(
        "UNITS_EXCEED_MUE", claim, ln,
        f"{units_text(total)} units of {code} are billed for the same patient on {dos} ({where}), over the limit "
        f"of {limit.units} per day, {kind}. Units over the limit deny the whole line. Limit from: {limit.dataset}.",
        fix, dataset=limit.dataset, amount_at_stake=ctx.price_of(ln),
    )


@rule("UNITS_EXCEED_MUE", when=Trigger.UNITS)
def units_exceed_mue(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Units above the MUE deny the whole line: per line (MAI 1 or unknown) or per patient-day (MAI 2/3)."""
    facts = claim_facts(claim, ctx)
    for ln in facts.ct_lines:
        limit = unit_limit(ctx, ln.procedure_code, ln.service_date)
        if limit is None:
            continue
        if limit.adjudication in (2, 3):
            found = _per_day_finding(claim, ctx, ln, limit, facts)
            if found is not None:
                yield found
            continue
        if ln.units <= limit.units:
            continue
        yield finding(
            "UNITS_EXCEED_MUE", claim, ln,
            f"Line {ln.number} bills {units_text(ln.units)} units of {ln.procedure_code}, over the limit of "
            f"{limit.units} per line: {limit.rationale}. Units over the limit deny the whole line. Limit from: "
            f"{limit.dataset}.",
            f"Bill {ln.procedure_code} with {limit.units} unit{'s' if limit.units != 1 else ''} on {line_ref(ln)}; "
            f"bill each further study of the same day on its own line with 76 (same physician) or 77 "
            f"(another physician).",
            dataset=limit.dataset, amount_at_stake=ctx.price_of(ln),
        )


# --- DUPLICATE_LINE ------------------------------------------------------------------------------


@rule("DUPLICATE_LINE", when=Trigger.SAME_CODE_TWICE)
def duplicate_line(claim: Claim, ctx: RuleContext) -> Iterator[Finding]:
    """Same patient, code, date and modifiers twice is an exact duplicate and denies, unless marked 76/77."""
    facts = claim_facts(claim, ctx)
    for ln in facts.ct_lines:
        if ln.service_date is None or (ln.modifiers and not _REPEAT_SET.isdisjoint(ln.modifiers)):
            continue
        code, modifiers = ln.procedure_code, ln.modifiers
        for prior in facts.peers(ln):  # the first earlier line with the same code and modifiers (in any order)
            if prior.before and prior.code == code \
                    and (prior.modifiers == modifiers or sorted(prior.modifiers) == sorted(modifiers)):
                break
        else:
            continue
        mods = sorted(modifiers)
        mod_text = "modifiers " + ", ".join(mods) if mods else "no modifiers"
        yield finding(
            "DUPLICATE_LINE", claim, ln,
            f"Line {ln.number} repeats {prior.ref()}: same patient, {code}, date "
            f"{ln.service_date.isoformat()} and {mod_text}. An exact duplicate is denied.",
            f"Delete {line_ref(ln)} if the study was entered twice; if a second study was done that day, add 76 "
            f"(same physician) or 77 (another physician) to {line_ref(ln)}.",
            amount_at_stake=ctx.price_of(ln),
        )
