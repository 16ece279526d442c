"""Which rule triggers a claim meets, found in one pass over its chest CT lines.

Each test below is the cheap first condition of one rule (most call the same helper the rule calls), so
the pipeline can skip every rule that cannot fire: on a clean claim that is nearly all of them. A test
may be true when its rule then finds nothing (a superset), never the reverse; ``tests/test_hot_path.py``
checks that on random claims. Answers that depend only on a line's modifiers are memoized per upload.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import TYPE_CHECKING, Any, Final

from ctscrub.model import CHEST_CT_CODES, Claim, Payer, ServiceLine
from ctscrub.refdata.policy import policy_for, policy_set
from ctscrub.rules.claim import REPLACING_FREQUENCIES, lines_total
from ctscrub.rules.coding import (
    CONTRAST_PARTNER,
    DISTINCT_MODIFIERS,
    REPEAT_MODIFIERS,
    contrast_problem,
    day_units,
    ever_deleted,
    unit_limit,
)
from ctscrub.rules.dates import filing_at_risk
from ctscrub.rules.diagnosis import SCREENING_DX, SCREENING_REASON_TARGETS, unsupported_dx_policy
from ctscrub.rules.documentation import LINE_CHECKS, LineCheck
from ctscrub.rules.facts import ClaimFacts, Trigger
from ctscrub.rules.modifiers import PAYMENT_MODIFIERS, facility_without_26, modifier_issue
from ctscrub.rules.payment import charge_short_of, comparable_quote
from ctscrub.rules.providers import blank, npi_valid
from ctscrub.rules.registry import remember
from ctscrub.rules.screening import LDCT, has_tobacco_dx, in_age_range, screen_lines, symptom_codes

if TYPE_CHECKING:
    from ctscrub.rules.registry import RuleContext


def screen(facts: ClaimFacts, ctx: RuleContext) -> int:
    """The ``Trigger`` flags of the claim being checked (only claims with a chest CT line are screened)."""
    claim = facts.claim
    codes = facts.codes
    met = 0
    if not codes.isdisjoint(ever_deleted()):
        met |= Trigger.DELETED_CODE
    if LDCT in codes:
        met |= Trigger.LDCT | _screening_triggers(claim, ctx.memo)
    if claim.documented:
        met |= _documentation_triggers(facts)
    if claim.total_charge is not None and lines_total(claim) != claim.total_charge:
        met |= Trigger.TOTAL_CHARGE
    if claim.frequency_code is not None and not claim.has_original_reference \
            and claim.frequency_code.strip() in REPLACING_FREQUENCIES:
        met |= Trigger.FREQUENCY_WITHOUT_REF
    ct_lines = facts.ct_lines
    if not ct_lines:
        return met
    memo = ctx.memo
    # A file repeats a few provider triples on every claim: check each triple once (real NPIs are short;
    # a hostile file's long values are checked each time, so the memo never holds them).
    billing, ordering, rendering = claim.billing_npi, claim.ordering_npi, claim.rendering_npi
    providers_key = ("providers", billing, ordering, rendering)
    known = memo.get(providers_key)
    if known is None:
        known = _claim_providers(billing, ordering, rendering)
        if len(billing or "") + len(ordering or "") + len(rendering or "") <= 60:
            remember(memo, providers_key, known)
    provider_met, claim_ordering, claim_rendering = known
    met |= provider_met
    payer, locality = claim.payer, claim.locality
    day: date | None = None  # the date ``day_bits`` was looked up for (a claim's lines usually share one)
    day_bits = _NO_BITS
    checked = False  # the NPIs of a line are checked, and their triggers are in ``met``: ...
    last_ordering: str | None = None  # ... those of the last line checked
    last_rendering: str | None = None
    for ln in ct_lines:
        dos = ln.service_date
        date_class = memo.get(dos) if dos is not None else None
        if date_class is None and dos is not None:
            date_class = _date_class(dos, ctx)
        # Everything that depends only on the line's own values (the key's first nine items), the claim's payer
        # and locality and the reference versions in force on its date: memoized (a file has few such lines).
        end = ln.service_date_end
        key = (ln.procedure_code, ln.modifiers, date_class, end is None, ln.place_of_service, ln.diagnosis_codes,
               ln.diagnosis_pointers_invalid, ln.units, ln.documentation.contrast, payer, locality)
        hit = memo.get(key)
        if hit is None:
            hit = remember(memo, key, _line_triggers(ln, facts, ctx, key[:9]))
        met |= hit[0]
        fee = hit[1]
        if fee is not None and charge_short_of(ln.charge, fee):
            met |= Trigger.CHARGE_BELOW
        ordering, rendering = ln.ordering_npi, ln.rendering_npi
        if not checked or ordering != last_ordering or rendering != last_rendering:  # lines repeat one pair
            checked, last_ordering, last_rendering = True, ordering, rendering
            if not claim_ordering and blank(ordering):
                met |= Trigger.NO_ORDERING
            # most lines repeat the claim's providers: compare before stripping
            npi = ordering
            if npi and npi != claim_ordering and (npi := npi.strip()) and npi != claim_ordering \
                    and not npi_valid(npi):
                met |= Trigger.NPI_INVALID
            npi = rendering
            if npi and npi != claim_rendering and (npi := npi.strip()) and npi != claim_rendering \
                    and not npi_valid(npi):
                met |= Trigger.NPI_INVALID
        if end is not None and end > ctx.as_of:
            met |= Trigger.DOS_FUTURE
        if dos is not None:
            if day is None or dos != day:
                day, day_bits = dos, _same_day_bits(facts, dos, date_class, ctx)
            bits = day_bits.get(ln.procedure_code, 0)
            if bits & _DAY_UNITS:  # the codes repeat under a per-day limit: the rule sums their units
                bits ^= _DAY_UNITS
                if _over_day_limit(ln, facts, ctx):
                    bits |= Trigger.UNITS
            met |= bits
    return met


def _claim_providers(billing: str | None, ordering: str | None, rendering: str | None) -> tuple[int, str, str]:
    """(NPI_INVALID when a claim-level NPI fails, the claim's ordering NPI, its rendering NPI, stripped)."""
    claim_ordering = (ordering or "").strip()
    claim_rendering = (rendering or "").strip()
    met = 0
    for npi in (billing, claim_ordering, claim_rendering):
        if npi and (npi := npi.strip()) and not npi_valid(npi):
            met |= Trigger.NPI_INVALID
    return met, claim_ordering, claim_rendering


def _screening_triggers(claim: Claim, memo: dict[object, Any]) -> int:
    """The LDCT rules' own conditions, on the claim's 71271 lines (they need the claim's birth date and
    diagnoses, so they are not part of the line memo; the diagnosis tests are memoized here)."""
    met = 0
    for ln, dos, policy in screen_lines(claim):
        if not in_age_range(claim, dos, policy):
            met |= Trigger.LDCT_AGE
        # policy versions are loaded once and live as long as the process, so their id is stable
        key = ("ldct dx", ln.diagnosis_codes, claim.diagnosis_codes, id(policy))
        hit = memo.get(key)
        if hit is None:
            hit = (0 if has_tobacco_dx(claim, ln, policy) else Trigger.LDCT_NO_TOBACCO) \
                | (Trigger.LDCT_SYMPTOMS if symptom_codes(ln, policy) else 0)
            remember(memo, key, hit)
        met |= hit
    return met


def _date_class(dos: date | None, ctx: RuleContext) -> object:
    """The reference versions in force on ``dos`` and where it stands against the processing date, as a
    small number (cheap to hash in memo keys): two dates of one class get the same answer from every
    line-level test."""
    if dos is None:
        return None
    memo = ctx.memo
    hit = memo.get(dos)
    if hit is None:
        version_key = getattr(ctx.refdata, "version_key", None)  # rule-test stand-ins lack it: use the date
        as_of = ctx.as_of
        cls = ("date class", version_key(dos) if version_key is not None else dos, dos > as_of,
               filing_at_risk(dos, as_of, True), filing_at_risk(dos, as_of, False))
        hit = memo.get(cls)
        if hit is None:
            hit = remember(memo, cls, next(_CLASS_NUMBERS))
        remember(memo, dos, hit)
    return hit


_CLASS_NUMBERS: Final = count()  # never reused, so a number stays unambiguous even after the memo is cleared


def _line_triggers(ln: ServiceLine, facts: ClaimFacts, ctx: RuleContext,
                   line_key: tuple[object, ...]) -> tuple[int, Decimal | None]:
    """(triggers, Medicare fee schedule amount a positive charge must reach) of one chest CT line, from its
    own values, the claim's payer and locality and the date of service: the memoized part of the screen.

    ``line_key``: the line's own values in the screen's memo key. The triggers depend on the payer only
    through Medicare and not on the locality (the amount does), so they are memoized on their own: a file
    has far fewer kinds of line than (line, payer, locality) combinations.
    """
    claim = facts.claim
    medicare = claim.payer is Payer.MEDICARE
    key = (line_key, medicare)
    met = ctx.memo.get(key)
    if met is None:
        met = remember(ctx.memo, key, _line_flags(ln, medicare, ctx))
    quoted = comparable_quote(claim, ln, ctx.refdata)
    return met, (quoted[0].amount if quoted is not None else None)


def _line_flags(ln: ServiceLine, medicare: bool, ctx: RuleContext) -> int:
    code, dos = ln.procedure_code, ln.service_date
    met = 0
    if ln.modifiers:
        met |= _modifier_triggers(ln.modifiers, dos)
    if facility_without_26(ln) is not None:
        met |= Trigger.FACILITY_WITHOUT_26
    pos_table = policy_for("place_of_service", dos)
    if pos_table is not None and (ln.place_of_service or "").strip() not in policy_set(pos_table, "valid"):
        met |= Trigger.POS_INVALID
    met |= _diagnosis_triggers(ln, ctx)
    if dos is not None and ln.service_date_end is None and dos > ctx.as_of:
        met |= Trigger.DOS_FUTURE
    if dos is not None and filing_at_risk(dos, ctx.as_of, medicare):
        met |= Trigger.TIMELY_FILING
    contrast = ln.documentation.contrast
    if contrast and (contrast := contrast.strip().lower()) and contrast_problem(code, contrast) is not None:
        met |= Trigger.CONTRAST_DOCUMENTED
    limit = unit_limit(ctx, code, dos)
    if limit is not None and ln.units > limit.units:
        met |= Trigger.UNITS
    return met


def _documentation_triggers(facts: ClaimFacts) -> int:
    """DOCUMENTED when a checklist item the input carries is missing for the claim or a chest CT line."""
    claim = facts.claim
    if not facts.ct_lines:
        return 0
    documented = claim.documented
    if "beneficiary_name" in documented and not claim.has_beneficiary_name:
        return Trigger.DOCUMENTED
    global _last_checks
    last = _last_checks
    if last[0] is not documented:  # a reader gives every claim of a file the same set
        last = _last_checks = (documented, tuple(c for c in LINE_CHECKS if c.item in documented))
    for check in last[1]:
        missing = check.missing
        for ln in facts.ct_lines:
            if missing(ln):
                return Trigger.DOCUMENTED
    return 0


# The last checklist set seen and its line checks (item names only, no patient data), as one tuple so a
# reader never sees a set with another set's checks.
_last_checks: tuple[frozenset[str], tuple[LineCheck, ...]] = (frozenset(), ())


_NO_BITS: Final[dict[str, int]] = {}  # a date with one line: no same-day trigger (shared, read only)
# Not a Trigger (the bit just above them): the code is billed twice that date under a per-day unit limit
# (MAI 2 or 3). The memoized day answer does not know the lines' units, so the screen sums them.
_DAY_UNITS: Final = max(v for k, v in vars(Trigger).items() if k.isupper()) << 1


def _same_day_bits(facts: ClaimFacts, dos: date, date_class: object, ctx: RuleContext) -> dict[str, int]:
    """The same-day triggers of each chest CT code billed on ``dos`` (``date_class``: its ``_date_class``).

    The codes of a date are this claim's lines', then the earlier claims' lines the upload index still
    holds; the answer depends only on them (not their order) and the date's class, so it is memoized per
    (sorted codes, class).
    """
    lines = facts.by_date[dos]
    index = ctx.patient_day_lines
    seen = index.get((facts.patient, dos)) if index else None
    if not seen and len(lines) < 2:
        return _NO_BITS
    codes = [ln.procedure_code for ln in lines]
    if seen:
        codes.extend(s[2] for s in seen)  # SeenLine.code
    codes.sort()
    if len(codes) > 4:  # only up to two of each code matter to _day_triggers: a day of thousands of lines
        codes = [c for i, c in enumerate(codes) if i < 2 or codes[i - 2] != c]  # keys the memo on a few
    day = tuple(codes)
    key = ("day", day, date_class)
    memo = ctx.memo
    bits = memo.get(key)
    if bits is None:
        bits = remember(memo, key, {code: _day_triggers(code, day, dos, ctx)
                                     for code in set(day) if code in CHEST_CT_CODES})
    return bits


def _day_triggers(code: str, day: tuple[str, ...], dos: date | None, ctx: RuleContext) -> int:
    others = list(day)
    others.remove(code)  # the line itself
    met = 0
    if code in others:
        met |= Trigger.SAME_CODE_TWICE
        limit = unit_limit(ctx, code, dos)
        if limit is not None and limit.adjudication in (2, 3):  # as units_exceed_mue: per day, else per line
            met |= _DAY_UNITS
    partner = CONTRAST_PARTNER.get(code)
    if partner is not None and partner in others:
        met |= Trigger.CONTRAST_PAIR
    ptp_edit = ctx.refdata.ptp_edit
    for other in set(others):
        if other != code and (ptp_edit(other, code, dos) is not None or ptp_edit(code, other, dos) is not None):
            met |= Trigger.CODE_PAIR
            break
    return met


def _over_day_limit(ln: ServiceLine, facts: ClaimFacts, ctx: RuleContext) -> bool:
    """UNITS_EXCEED_MUE's per-day test: the units of ``ln``'s code that date exceed its per-day limit."""
    limit = unit_limit(ctx, ln.procedure_code, ln.service_date)
    return limit is not None and day_units(ln, facts)[0] > limit.units


def _modifier_triggers(modifiers: tuple[str, ...], dos: date | None) -> int:
    table = policy_for("modifiers", dos)
    met = 0
    if table is not None and any(modifier_issue(m, table) is not None for m in modifiers):
        met |= Trigger.MODIFIER_INVALID
    if len(modifiers) > 1 and (("26" in modifiers and "TC" in modifiers) or ("76" in modifiers and "77" in modifiers)):
        met |= Trigger.MODIFIER_CONFLICT
    if dos is not None and any(m in REPEAT_MODIFIERS for m in modifiers):
        met |= Trigger.REPEAT_MODIFIER
    if dos is not None and any(m in DISTINCT_MODIFIERS for m in modifiers):
        met |= Trigger.DISTINCT_MODIFIER
    if any(m in PAYMENT_MODIFIERS for m in modifiers):
        met |= Trigger.PAYMENT_MODIFIER
    return met


def _diagnosis_triggers(ln: ServiceLine, ctx: RuleContext) -> int:
    dx = ln.diagnosis_codes
    met = Trigger.DX_MISSING if ln.diagnosis_pointers_invalid or not dx else 0
    if not dx:
        return met
    billable = ctx.refdata.icd10_billable
    dos = ln.service_date
    for code in dx:  # also records a missing code set, as DX_INVALID would
        if billable(code, dos) is False:
            met |= Trigger.DX_INVALID
            break
    if unsupported_dx_policy(ln) is not None:
        met |= Trigger.DX_NOT_SUPPORTING
    if ln.procedure_code in SCREENING_REASON_TARGETS and SCREENING_DX in dx:
        met |= Trigger.SCREENING_DX
    return met
