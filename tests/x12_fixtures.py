"""Build X12 837 text for tests, samples and benchmarks, with chosen delimiters and envelope shapes.

Only what a test sets differs from a clean, valid 005010X222A1 file: one interchange, one group, one
transaction, one Medicare subscriber who is the patient, one claim with one chest CT line. Patient
values are fictitious. Envelope counts and control numbers are computed unless a test overrides them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

GOOD_NPI = "1234567893"  # passes the NPI Luhn check
ORDERING_NPI = "1245319599"
RENDERING_NPI = "1497758544"
OTHER_NPI = "1679576722"
BAD_NPI = "1234567890"  # fails the Luhn check

Element = str | tuple[str, ...]  # a tuple is a composite element, joined with the component separator
Seg = list[Element]


@dataclass
class Delims:
    element: str = "*"
    component: str = ":"
    repetition: str | None = "^"  # None writes 'U' in ISA11 (no repetition separator)
    segment: str = "~"
    after: str = "\n"  # written after each terminator ("", "\n", "\r\n")
    indent: str = ""  # written before each segment inside ST..SE
    body_component: str | None = None  # write composites with this separator (ISA16 still says ``component``)


@dataclass
class Line:
    code: str = "71250"
    modifiers: tuple[str, ...] = ()
    charge: str = "400.00"
    units: str = "1"
    pos: str = ""  # SV105, only when it differs from the claim
    pointers: tuple[str, ...] | None = ("1",)  # SV107; None omits it
    dos: str | None = "20260915"  # DTP*472; None omits the DTP
    dos_end: str | None = None  # set for an RD8 range
    date_qualifier: str | None = None  # override D8/RD8
    control: str | None = None  # REF*6R
    rendering_npi: str | None = None  # 2420A NM1*82
    ordering_dk_npi: str | None = None  # 2420E NM1*DK
    ordering_dn_npi: str | None = None  # 2420F NM1*DN
    number: str | None = None  # LX01 override (default: position)
    service_segment: str = "SV1"  # SV2 / SV3 write institutional / dental lines
    sv1: Seg | None = None  # the whole SV1, verbatim (for malformed lines)
    omit_sv1: bool = False
    extra: list[Seg] = field(default_factory=list)  # segments after the line's own


@dataclass
class ClaimSpec:
    claim_id: str = "CLM0001"
    lines: list[Line] = field(default_factory=lambda: [Line()])
    total: str | None = None  # CLM02; default the sum of SV102
    pos: str = "11"
    frequency: str = "1"
    clm05: Element | None = None  # CLM05 verbatim
    ref_f8: str | None = None
    dx: tuple[str, ...] = ("R911",)
    icd9: bool = False  # BK/BF instead of ABK/ABF
    hi_per_segment: int = 12
    ordering_dn_npi: str | None = ORDERING_NPI  # 2310A
    rendering_npi: str | None = RENDERING_NPI  # 2310B
    facility_npi: str | None = None  # 2310C NM1*77 (not a provider the scrubber reads)
    cob: bool = False  # 2320/2330A/2330B: other subscriber and other payer (with REF*F8 and an NM1*DN)
    extra: list[Seg] = field(default_factory=list)  # claim-level segments after HI


@dataclass
class Patient:
    """HL 23: a patient who is not the subscriber."""

    last: str = "ROE"
    first: str = "SAM"
    dob: str | None = "20100607"
    claims: list[ClaimSpec] = field(default_factory=list)


@dataclass
class Subscriber:
    payer_type: str | None = "MB"
    last: str = "TESTPATIENT"
    first: str = "ALEX"
    member_id: str = "1EG4TE5MK73"
    dob: str | None = "19550601"
    claims: list[ClaimSpec] = field(default_factory=lambda: [ClaimSpec()])
    patients: list[Patient] = field(default_factory=list)


@dataclass
class Transaction:
    subscribers: list[Subscriber] = field(default_factory=lambda: [Subscriber()])
    billing_npi: str = GOOD_NPI
    st01: str = "837"
    version: str | None = None  # ST03; default the group's version
    control: str = "0001"
    se_count: str | None = None  # SE01 override
    se_control: str | None = None  # SE02 override
    omit_se: bool = False


@dataclass
class Group:
    transactions: list[Transaction] = field(default_factory=lambda: [Transaction()])
    version: str = "005010X222A1"
    control: str = "101"
    ge_count: str | None = None
    ge_control: str | None = None
    omit_ge: bool = False


@dataclass
class Interchange:
    groups: list[Group] = field(default_factory=lambda: [Group()])
    delims: Delims = field(default_factory=Delims)
    control: str = "000000101"
    iea_count: str | None = None
    iea_control: str | None = None
    omit_iea: bool = False


def isa(d: Delims, control: str) -> str:
    """A fixed-width (106-character) ISA with the given delimiters."""
    e = d.element
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "SCRUBTEST".ljust(15), "ZZ", "PAYERTEST".ljust(15),
              "261001", "1200", d.repetition or "U", "00501", control.rjust(9, "0"), "0", "T", d.component]
    text = e.join(fields) + d.segment
    assert len(text) == 106, len(text)
    return text


def _claim_segments(c: ClaimSpec) -> Iterator[Seg]:
    total = c.total
    if total is None:
        total = f"{sum(_number(ln.charge) for ln in c.lines):.2f}"
    clm05 = c.clm05 if c.clm05 is not None else (c.pos, "B", c.frequency)
    yield ["CLM", c.claim_id, total, "", "", clm05, "Y", "A", "Y", "Y"]
    if c.ref_f8:
        yield ["REF", "F8", c.ref_f8]
    quals = ("BK", "BF") if c.icd9 else ("ABK", "ABF")
    for start in range(0, len(c.dx), c.hi_per_segment):
        chunk = c.dx[start:start + c.hi_per_segment]
        yield ["HI", *((quals[0] if start + i == 0 else quals[1], code) for i, code in enumerate(chunk))]
    yield from c.extra
    if c.ordering_dn_npi:
        yield ["NM1", "DN", "1", "ORDERLY", "OLIVIA", "", "", "", "XX", c.ordering_dn_npi]
    if c.rendering_npi:
        yield ["NM1", "82", "1", "READER", "RAY", "", "", "", "XX", c.rendering_npi]
        yield ["PRV", "PE", "PXC", "2085R0202X"]
    if c.facility_npi:
        yield ["NM1", "77", "2", "IMAGING CENTER", "", "", "", "", "XX", c.facility_npi]
        yield ["N3", "1 SCAN WAY"]
        yield ["N4", "ANYTOWN", "PA", "17111"]
    if c.cob:
        yield ["SBR", "S", "01", "", "", "", "", "", "", "CI"]
        yield ["OI", "", "", "Y", "", "", "Y"]
        yield ["NM1", "IL", "1", "OTHERSUBSCRIBER", "OTTO", "", "", "", "MI", "OTHERMEMBER9"]
        yield ["NM1", "PR", "2", "OTHER PAYER", "", "", "", "", "PI", "OTHERPAYER"]
        yield ["REF", "F8", "OTHERPAYERCLAIM1"]
        yield ["NM1", "DN", "1", "OTHERREF", "", "", "", "", "", ""]
        yield ["NM1", "82", "1", "OTHERREND"]
    for i, ln in enumerate(c.lines, 1):
        yield from _line_segments(ln, i)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal(0)


def _line_segments(ln: Line, i: int) -> Iterator[Seg]:
    yield ["LX", ln.number if ln.number is not None else str(i)]
    if ln.sv1 is not None:
        yield ln.sv1
    elif ln.service_segment == "SV2":
        yield ["SV2", "0300", ("HC", ln.code, *ln.modifiers), ln.charge, "UN", ln.units]
    elif ln.service_segment == "SV3":
        yield ["SV3", ("AD", ln.code), ln.charge]
    elif not ln.omit_sv1:
        sv1: Seg = ["SV1", ("HC", ln.code, *ln.modifiers), ln.charge, "UN", ln.units, ln.pos, ""]
        if ln.pointers is not None:
            sv1.append(tuple(ln.pointers))
        while sv1 and sv1[-1] == "":
            sv1.pop()
        yield sv1
    if ln.dos is not None:
        qual = ln.date_qualifier or ("RD8" if ln.dos_end else "D8")
        yield ["DTP", "472", qual, f"{ln.dos}-{ln.dos_end}" if ln.dos_end else ln.dos]
    if ln.control:
        yield ["REF", "6R", ln.control]
    if ln.rendering_npi:
        yield ["NM1", "82", "1", "LINEREADER", "LEE", "", "", "", "XX", ln.rendering_npi]
    if ln.ordering_dk_npi:
        yield ["NM1", "DK", "1", "LINEORDER", "LOU", "", "", "", "XX", ln.ordering_dk_npi]
    if ln.ordering_dn_npi:
        yield ["NM1", "DN", "1", "LINEREFER", "LIA", "", "", "", "XX", ln.ordering_dn_npi]
    yield from ln.extra


def transaction_body(t: Transaction) -> Iterator[Seg]:
    """The segments between ST and SE."""
    yield ["BHT", "0019", "00", "BATCH1", "20261001", "1200", "CH"]
    yield ["NM1", "41", "2", "TEST BILLING", "", "", "", "", "46", "SCRUBTEST"]
    yield ["PER", "IC", "BILLING", "TE", "5555550100"]
    yield ["NM1", "40", "2", "TEST PAYER", "", "", "", "", "46", "PAYERTEST"]
    hl = 1
    yield ["HL", "1", "", "20", "1"]
    yield ["PRV", "BI", "PXC", "2085R0202X"]
    yield ["NM1", "85", "2", "TEST RADIOLOGY GROUP", "", "", "", "", "XX", t.billing_npi]
    yield ["N3", "100 MAIN ST"]
    yield ["N4", "ANYTOWN", "PA", "171110000"]
    yield ["REF", "EI", "123456789"]
    for s in t.subscribers:
        hl += 1
        sub_hl = hl
        yield ["HL", str(sub_hl), "1", "22", "1" if s.patients else "0"]
        yield ["SBR", "P", "18" if not s.patients else "", "", "", "", "", "", "", s.payer_type or ""]
        yield ["NM1", "IL", "1", s.last, s.first, "", "", "", "MI", s.member_id]
        yield ["N3", "1 ELM ST"]
        yield ["N4", "ANYTOWN", "PA", "17111"]
        if s.dob is not None:
            yield ["DMG", "D8", s.dob, "F"]
        yield ["NM1", "PR", "2", "MEDICARE PART B", "", "", "", "", "PI", "12202"]
        for c in s.claims:
            yield from _claim_segments(c)
        for p in s.patients:
            hl += 1
            yield ["HL", str(hl), str(sub_hl), "23", "0"]
            yield ["PAT", "19"]
            yield ["NM1", "QC", "1", p.last, p.first]
            yield ["N3", "2 OAK AVE"]
            yield ["N4", "ANYTOWN", "PA", "17111"]
            if p.dob is not None:
                yield ["DMG", "D8", p.dob, "M"]
            for c in p.claims:
                yield from _claim_segments(c)


class _Writer:
    def __init__(self, d: Delims) -> None:
        self.d = d
        self.comp = d.body_component or d.component

    def seg(self, elements: Seg, indent: bool = False) -> str:
        parts = [self.comp.join(e) if isinstance(e, tuple) else e for e in elements]
        return (self.d.indent if indent else "") + self.d.element.join(parts) + self.d.segment + self.d.after


def iter_render(interchanges: list[Interchange]) -> Iterator[str]:
    """Render interchanges piece by piece (large files never need to be held whole)."""
    for x in interchanges:
        w = _Writer(x.delims)
        yield isa(x.delims, x.control) + x.delims.after
        for g in x.groups:
            yield w.seg(["GS", "HC", "SCRUBTEST", "PAYERTEST", "20261001", "1200", g.control, "X", g.version])
            for t in g.transactions:
                yield w.seg(["ST", t.st01, t.control, t.version or g.version])
                n = 1
                for s in transaction_body(t):
                    n += 1
                    yield w.seg(s, indent=True)
                if not t.omit_se:
                    yield w.seg(["SE", t.se_count or str(n + 1), t.se_control or t.control])
            if not g.omit_ge:
                yield w.seg(["GE", g.ge_count or str(len(g.transactions)), g.ge_control or g.control])
        if not x.omit_iea:
            yield w.seg(["IEA", x.iea_count or str(len(x.groups)), x.iea_control or x.control])


def render(*interchanges: Interchange, bom: bool = False) -> bytes:
    text = "".join(iter_render(list(interchanges) or [Interchange()]))
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def build(*claims: ClaimSpec, delims: Delims | None = None, version: str = "005010X222A1",
          bom: bool = False, **subscriber: object) -> bytes:
    """One interchange / group / transaction / subscriber holding ``claims`` (default one clean claim)."""
    sub = Subscriber(claims=list(claims) or [ClaimSpec()], **subscriber)  # type: ignore[arg-type]
    x = Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub])], version=version)],
                    delims=delims or Delims())
    return render(x, bom=bom)


def bench_interchange(claims: int, lines_per_claim: int = 3, delims: Delims | None = None) -> Interchange:
    """A volume file: ``claims`` claims of ``lines_per_claim`` lines, at most 5000 claims per ST.

    Each claim is its own subscriber (as in real batches); the first line is a chest CT, the others
    are non-CT services so the scrubber's same-day index stays representative.
    """
    codes = ["71250", "71260", "71270", "71271", "71275"]
    other = ["99213", "36415", "71046", "93000"]
    txs: list[Transaction] = []
    for start in range(0, claims, 5000):
        subs = []
        for k in range(start, min(claims, start + 5000)):
            day = 1 + k % 28
            lines = [Line(code=codes[k % 5], modifiers=("26",), charge="250.00", dos=f"202609{day:02d}",
                          pointers=("1", "2"), control=f"L{k}-1")]
            lines += [Line(code=other[(k + j) % 4], charge="45.00", dos=f"202609{day:02d}", control=f"L{k}-{j + 2}")
                      for j in range(lines_per_claim - 1)]
            subs.append(Subscriber(member_id=f"M{k:09d}", last=f"PATIENT{k % 997}", first="TEST",
                                   dob=f"19{40 + k % 40}0{1 + k % 9}15",
                                   claims=[ClaimSpec(claim_id=f"C{k:08d}", lines=lines, dx=("R911", "Z87891"))]))
        txs.append(Transaction(subscribers=subs, control=f"{len(txs) + 1:04d}"))
    return Interchange(groups=[Group(transactions=txs)], delims=delims or Delims())
