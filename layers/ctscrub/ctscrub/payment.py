"""Expected Medicare allowed amounts of chest CT lines (PFS by date of service, component, setting, locality).

Amount = [(work RVU x work GPCI) + (PE RVU x PE GPCI) + (MP RVU x MP GPCI)] x CF, facility PE for a
facility place of service, rounded half-up to cents (RVU25D_doc.txt). For codes with OPPS PE/MP columns
(71275 global and TC) the lower of that and the same formula on the OPPS columns is paid (DRA 2005 cap).
Across the chest CT lines of one claim on one date (multiple procedure indicator 4, family 88) the
studies are ranked by TC amount: TC 100% for the first, 50% for each further; PC 5% less for each
further; a global is its TC part plus its PC part so reduced. Modifier CT reduces the TC part 15%.
Each line prices one study: units above 1 are flagged by UNITS_EXCEED_MUE, not multiplied here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Final

from ctscrub.model import Claim, LinePrice, Payer, ServiceLine
from ctscrub.refdata.policy import policy_for
from ctscrub.refdata.tables import NATIONAL, FeeSchedule, Gpci, GpciTable, OppsCapTable, PfsRow
from ctscrub.refdata.types import ReferenceLookups

CENT: Final = Decimal("0.01")
HALF: Final = Decimal("0.5")
PC_FURTHER: Final = Decimal("0.95")
CT_TC: Final = Decimal("0.85")
_ORDINAL: Final = {1: "1st", 2: "2nd", 3: "3rd"}


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, ROUND_HALF_UP)


def component_of(line: ServiceLine) -> str | None:
    """"26", "TC" or "" (global); None when the line carries both 26 and TC."""
    pc, tc = "26" in line.modifiers, "TC" in line.modifiers
    if pc and tc:
        return None
    return "26" if pc else "TC" if tc else ""


@lru_cache(maxsize=4096)
def is_facility(pos: str | None, dos: date) -> bool:
    version = policy_for("place_of_service", dos)
    return bool(version and pos in version.get("facility", ()))


def rvu_amount(work: Decimal, pe: Decimal, mp: Decimal, g: Gpci, cf: Decimal) -> Decimal:
    return cents((work * g.work + pe * g.pe + mp * g.mp) * cf)


@dataclass(frozen=True, slots=True)
class Quote:
    """The unreduced fee schedule amount of one code and component in one setting and locality."""

    amount: Decimal  # after the OPPS cap where it applies
    tc: Decimal | None  # TC amount of the code (capped), for ranking and reductions
    pc: Decimal | None  # PC (-26) amount of the code
    row: PfsRow
    pfs_amount: Decimal  # before the OPPS cap
    cap_source: str | None  # None = not capped; else where the capped price came from
    dataset: str


def _row_amount(fs: FeeSchedule, row: PfsRow, g: Gpci, facility: bool, locality: str | None,
                cap: OppsCapTable | None) -> tuple[Decimal, Decimal, str | None]:
    pe = row.pe_f if facility else row.pe_nf
    pfs_amt = rvu_amount(row.work, pe, row.mp, g, fs.conversion_factor)
    if row.mod == "26" or not row.has_opps_cap:
        return pfs_amt, pfs_amt, None
    cms = cap.price(row.code, row.mod, locality, facility) if cap is not None and locality else None
    if cms is not None:
        return min(cms, pfs_amt), pfs_amt, (cap.label if cms < pfs_amt else None)  # type: ignore[union-attr]
    opps_pe = row.opps_pe_f if facility else row.opps_pe_nf
    opps_amt = rvu_amount(row.work, opps_pe, row.opps_mp, g, fs.conversion_factor)
    return min(opps_amt, pfs_amt), pfs_amt, ("computed from the OPPS PE/MP RVUs" if opps_amt < pfs_amt else None)


@lru_cache(maxsize=8192)
def quote(fs: FeeSchedule, gpci: Gpci, cap: OppsCapTable | None, code: str, component: str,
          facility: bool, locality: str | None) -> Quote | None:
    """The fee schedule amount of ``code``/``component`` (cached: a handful of combinations per upload)."""
    row = fs.row(code, component)
    if row is None:
        return None
    amount, pfs_amt, cap_source = _row_amount(fs, row, gpci, facility, locality, cap)
    tc_row, pc_row = fs.row(code, "TC"), fs.row(code, "26")
    tc = _row_amount(fs, tc_row, gpci, facility, locality, cap)[0] if tc_row else None
    pc = _row_amount(fs, pc_row, gpci, facility, locality, cap)[0] if pc_row else None
    return Quote(amount, tc, pc, row, pfs_amt, cap_source, fs.label)


@dataclass(slots=True)
class PriceSetting:
    fs: FeeSchedule
    gpci: Gpci
    gpci_table: GpciTable | None
    cap: OppsCapTable | None
    locality_text: str
    locality_key: str | None  # the key priced (None = national)


def _note(refdata: ReferenceLookups, text: str) -> None:
    note = getattr(refdata, "note_missing", None)  # stand-ins without payment tables (rule test fakes)
    if note is not None:
        note(text)


def _fee_schedule(refdata: ReferenceLookups, dos: date) -> FeeSchedule | None:
    lookup = getattr(refdata, "fee_schedule", None)
    return lookup(dos) if lookup is not None else None


def _setting(claim: Claim, dos: date, refdata: ReferenceLookups) -> PriceSetting | None:
    cache: dict[object, Any] | None = getattr(refdata, "pricing_cache", None)
    if cache is None:
        return _new_setting(claim, dos, refdata)
    key = ("setting", dos, claim.locality)
    if key not in cache:
        st = _new_setting(claim, dos, refdata)
        if st is not None:
            # One object per distinct setting (not per date): line prices are cached by setting identity,
            # and every date of a year usually shares one setting.
            same = ("setting-of", st.fs, st.gpci, st.gpci_table, st.cap, st.locality_text, st.locality_key)
            st = cache.setdefault(same, st)
        cache[key] = st
    return cache[key]  # type: ignore[no-any-return]


def _new_setting(claim: Claim, dos: date, refdata: ReferenceLookups) -> PriceSetting | None:
    fs = _fee_schedule(refdata, dos)
    if fs is None:
        _note(refdata, f"No Medicare physician fee schedule (PFS) covers dates of service in {dos.year}; "
                       "expected allowed amounts of those lines were not computed.")
        return None
    table = refdata.gpci(dos)
    cap = refdata.opps_cap(dos)
    loc = claim.locality
    if not loc:
        return PriceSetting(fs, NATIONAL, table, cap, "national (GPCI 1.0)", None)
    if table is None:
        _note(refdata, f"No GPCI table covers dates of service in {dos.year}; lines with a locality "
                       "were priced at national GPCIs (1.0).")
        return PriceSetting(fs, NATIONAL, None, cap, f"locality {loc} priced at national GPCIs (no {dos.year} GPCIs)",
                        None)
    g = table.get(loc)
    if g is None:
        return PriceSetting(fs, NATIONAL, table, cap,
                        f"locality {loc} not in GPCI {dos.year}: national GPCIs (1.0) used", None)
    alias = f", as {g.locality}" if g.locality != loc else ""
    return PriceSetting(fs, g, table, cap, f"locality {loc} ({g.name}{alias})", loc)


_CACHE_LIMIT: Final = 1 << 16  # entries in one upload's pricing cache: bounds memory on hostile files
_MISS: Final[Any] = object()


def fee_schedule_quote(claim: Claim, line: ServiceLine, refdata: ReferenceLookups) -> tuple[Quote, PriceSetting] | None:
    """The unreduced fee schedule amount of one chest CT line (no MPPR, no CT reduction), or None."""
    comp = component_of(line)
    dos = line.service_date
    if dos is None or comp is None:
        return None
    cache: dict[object, Any] | None = getattr(refdata, "quote_cache", None)
    if cache is None:  # rule-test stand-ins (they have no version keys either)
        return _fee_schedule_quote(claim, line, comp, refdata)
    # Pricing, the trigger screen and CHARGE_BELOW_ALLOWED ask this for every chest CT line; a file has few
    # distinct answers. Keyed by the date's reference versions, not the date: a file spans many dates.
    key = (refdata.version_key(dos), claim.locality, line.procedure_code, comp, line.place_of_service)
    hit = cache.get(key, _MISS)
    if hit is _MISS:
        hit = _fee_schedule_quote(claim, line, comp, refdata)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[key] = hit
    return hit  # type: ignore[no-any-return]


def _fee_schedule_quote(claim: Claim, line: ServiceLine, comp: str,
                        refdata: ReferenceLookups) -> tuple[Quote, PriceSetting] | None:
    st = _setting(claim, line.service_date, refdata)  # type: ignore[arg-type]
    if st is None:
        return None
    facility = is_facility(line.place_of_service, line.service_date)  # type: ignore[arg-type]
    q = quote(st.fs, st.gpci, st.cap, line.procedure_code, comp, facility, st.locality_key)
    return (q, st) if q is not None else None


def _mppr_ranks(quoted: list[tuple[ServiceLine, _LineQuote]]) -> dict[int, int]:
    """Rank (1 = full payment) of each ranked line's study among the same-date imaging studies of the claim
    (``price_claim`` asks only for claims with two different studies).

    A study is one code on one date: its -26 and TC lines are the two halves of one study, not two. Repeats
    with 76/77 are separate sessions and are not reduced.
    """
    studies: dict[tuple[date, str], Decimal] = {}  # (date, code) -> TC amount
    for ln, lq in quoted:
        if lq.study_tc is not None:
            studies[(ln.service_date, ln.procedure_code)] = lq.study_tc  # type: ignore[index]
    # by date, then TC amount (highest first), then code: sorted tuples, not a key function called per study
    rank_of: dict[tuple[date, str], int] = {}
    day: date | None = None
    rank = 0
    for dos, _tc, code in sorted([(dos, -tc, code) for (dos, code), tc in studies.items()]):
        rank = rank + 1 if dos == day else 1
        day = dos
        rank_of[(dos, code)] = rank
    return {ln.number: rank_of[(ln.service_date, ln.procedure_code)]  # type: ignore[index]
            for ln, lq in quoted if lq.study_tc is not None}


def _describe(setting: PriceSetting, comp: str, facility: bool, year: int) -> list[str]:
    comp_text = {"": "global", "26": "professional component (-26)", "TC": "technical component (TC)"}[comp]
    head = f"PFS {year} {'facility' if facility else 'non-facility'}, {setting.locality_text}, {comp_text}"
    parts = [head]
    if facility and comp != "26":
        parts.append("facility setting: only -26 is payable to the physician")
    return parts


def _amount_and_basis(claim: Claim, ln: ServiceLine, q: Quote, st: PriceSetting, rank: int,
                      facility: bool) -> tuple[Decimal, str, str]:
    comp = component_of(ln) or ""
    parts = _describe(st, comp, facility, st.fs.year)
    if q.cap_source:
        parts.append(f"OPPS cap ${q.amount} instead of PFS ${q.pfs_amount} ({q.cap_source})")
    tcf = HALF if rank > 1 else Decimal(1)
    pcf = PC_FURTHER if rank > 1 else Decimal(1)
    if rank > 1:
        pct = {"": "TC 50%, PC 95%", "26": "PC 95%", "TC": "TC 50%"}[comp]
        parts.append(f"MPPR {pct} ({_ORDINAL.get(rank, f'{rank}th')} study that day)")
    if ln.has_modifier("CT") and comp != "26":
        tcf *= CT_TC
        parts.append("CT modifier: TC -15%")
    if comp == "26":
        amount = cents(q.amount * pcf)
    elif comp == "TC":
        amount = cents(q.amount * tcf)
    elif (tcf == 1 and pcf == 1) or q.tc is None or q.pc is None:
        amount = q.amount
    else:
        amount = cents(q.tc * tcf + q.pc * pcf)
    if ln.has_modifier("52"):
        parts.append("modifier 52: contractor-priced, amount is the fee schedule upper bound")
    basis = "; ".join(parts)
    if claim.payer is Payer.COMMERCIAL:
        basis = "Medicare benchmark: " + basis
    return amount, basis, datasets_used(q, st)


def datasets_used(q: Quote, st: PriceSetting) -> str:
    """The reference datasets (and versions) an amount was computed from."""
    datasets = [st.fs.label]
    if st.locality_key and st.gpci_table is not None:
        datasets.append(st.gpci_table.label)
    if q.cap_source and st.cap is not None and q.cap_source == st.cap.label:
        datasets.append(st.cap.label)
    return "; ".join(datasets)


@dataclass(slots=True)
class _LineQuote:
    """What pricing knows of one kind of chest CT line (code, modifiers, place of service, payer, locality and
    the reference versions in force on its date): why it cannot be priced, or its quote and the priced
    amount for each multiple-procedure rank seen so far."""

    why: str | None  # not None: the line cannot be priced, for this reason
    quote: Quote | None = None
    setting: PriceSetting | None = None
    facility: bool = False
    by_rank: dict[int, tuple[Decimal, str, str]] = field(default_factory=dict)
    study_tc: Decimal | None = None  # not None: an imaging study ranked for MPPR by this TC amount


def _line_quote(claim: Claim, ln: ServiceLine, refdata: ReferenceLookups) -> _LineQuote:
    dos = ln.service_date
    if dos is None:
        return _LineQuote("no date of service: fee schedule year unknown")
    if component_of(ln) is None:
        return _LineQuote("both 26 and TC on the line: component unknown, not priced")
    hit = fee_schedule_quote(claim, ln, refdata)
    if hit is None:
        fs = _fee_schedule(refdata, dos)
        return _LineQuote(f"no PFS {dos.year} row for {ln.procedure_code}" if fs is not None
                          else f"no fee schedule loaded for {dos.year}")
    q = hit[0]
    ranked = q.row.mult == "4" and q.row.family == "88" and "76" not in ln.modifiers and "77" not in ln.modifiers
    return _LineQuote(None, q, hit[1], is_facility(ln.place_of_service, dos),
                      study_tc=(q.tc or Decimal(0)) if ranked else None)


def price_claim(claim: Claim, refdata: ReferenceLookups, ct_lines: list[ServiceLine] | None = None) -> list[LinePrice]:
    """One ``LinePrice`` per chest CT line of ``claim``; ``allowed`` is None where it cannot be known.

    ``ct_lines``: the claim's chest CT lines in line order, when the caller has them (the pipeline's facts).
    """
    cache: dict[object, Any] | None = getattr(refdata, "pricing_cache", None)
    if cache is None:  # rule-test stand-ins have no per-upload cache
        cache = {}
    version_key = getattr(refdata, "version_key", None)  # rule-test stand-ins lack it: key on the date
    payer, locality = claim.payer, claim.locality
    day: object = _MISS  # the date ``version`` is the key of (a claim's lines usually share one)
    version: object = None
    quoted: list[tuple[ServiceLine, _LineQuote]] = []
    # MPPR ranks studies only when the claim has two different ones (code and date): the halves (-26, TC)
    # or copies of one study, the usual multi-line claim, are each the first study of their day.
    first_study: tuple[str, object] | None = None
    two_studies = False
    for ln in ct_lines if ct_lines is not None else claim.chest_ct_lines():
        # A file has few kinds of chest CT line: each is priced once per upload, not once per line.
        dos = ln.service_date
        if dos is not day:
            day, version = dos, (version_key(dos) if version_key is not None else dos)
        key = (version, ln.procedure_code, ln.modifiers, ln.place_of_service, payer, locality)
        lq = cache.get(key)
        if lq is None:
            lq = _line_quote(claim, ln, refdata)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[key] = lq
        quoted.append((ln, lq))
        if lq.study_tc is not None and not two_studies:
            if first_study is None:
                first_study = (ln.procedure_code, dos)
            elif ln.procedure_code != first_study[0] or dos != first_study[1]:
                two_studies = True
    ranks = _mppr_ranks(quoted) if two_studies else None
    out: list[LinePrice] = []
    claim_id = claim.claim_id
    for ln, lq in quoted:
        if lq.why is not None:
            out.append(LinePrice(claim_id, ln.number, ln.procedure_code, ln.modifiers, None, lq.why, None))
            continue
        rank = ranks.get(ln.number, 1) if ranks else 1
        priced = lq.by_rank.get(rank)
        if priced is None:
            priced = lq.by_rank[rank] = _amount_and_basis(claim, ln, lq.quote, lq.setting, rank,  # type: ignore[arg-type]
                                                          lq.facility)
        allowed, basis, dataset = priced  # positional arguments: the call builds the object without a detour
        out.append(LinePrice(claim_id, ln.number, ln.procedure_code, ln.modifiers, allowed, basis, dataset))
    return out
