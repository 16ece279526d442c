"""Build ``Claim`` objects from the segments of one 837P transaction (ST..SE).

Fed one segment at a time; returns a claim when the next CLM, HL or the end of the transaction closes
it. Only the current billing provider, subscriber and patient HLs are kept, so memory does not grow
with the number of claims. Problems are recorded as ``X12_CLAIM_MALFORMED`` on the claim they belong
to, with the segment position and never a patient value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Final, Generic, NoReturn, TypeVar

from ctscrub.formats.errors import FileRejected
from ctscrub.formats.x12_segments import Delimiters
from ctscrub.formats.x12_values import MEDICARE_PAYER_TYPES, amount, birth_date, d8, date_range
from ctscrub.model import NO_DOCUMENTATION, Claim, Finding, Payer, ServiceLine
from ctscrub.rules.registry import finding

DOCUMENTED: Final = frozenset({"beneficiary_name", "service_date"})  # what every 837 carries
MAX_DX: Final = 12
_DX_QUALIFIERS: Final = frozenset({"ABK", "ABF", "BK", "BF"})  # ICD-10 principal/other, ICD-9 principal/other
_FIX: Final = "Correct the segment in the billing system and resubmit (837P 005010X222A1)."
_ONE: Final = Decimal(1)
_POINTER_INDEX: Final = {str(i): i - 1 for i in range(1, MAX_DX + 1)}  # SV107 pointer text -> HI index
_PICK_NONE: Final = itemgetter(slice(0))  # the picker of pointers that are resolved one by one (never called)
_MEDICARE: Final = Payer.MEDICARE  # module constants: no enum lookup per claim
_COMMERCIAL: Final = Payer.COMMERCIAL
# Claim and ServiceLine are built field by field (see _new_claim): their own __new__ (object's in Python; a
# compiled build's allocates the compiled class, which object.__new__ refuses to).
_new_line: Final = ServiceLine.__new__
_new_claim_object: Final = Claim.__new__
_NO_CLM05: Final = (None, None)  # place of service and frequency code of a claim without CLM05
_PAD: Final = [""] * 10  # appended to a short segment so optional trailing elements read as ''
# The memo of segments already read (``ClaimBuilder.known``): at most this many entries (emptied when full)
# of segments at most this long (real ones are under 100 characters), so it stays small whatever the file holds.
_MEMO_MAX: Final = 8192
_MEMO_MAX_TEXT = 256
# NM1 entities whose segment names a provider, payer or submitter, never a patient: only these are memoized.
_NOT_A_PATIENT: Final = frozenset({"85", "87", "82", "DK", "DN", "DQ", "77", "PR", "40", "41"})
# the NM1 entities _KnownProvider reads; it ignores the others
_PROVIDERS_READ: Final = frozenset({"85", "82", "DK", "DN"})

# Segment ids the builder reads -> the kind ``ClaimBuilder.read`` dispatches on. Segments of no kind (N3, N4,
# PAT, NTE, PWK, ...) carry nothing the scrubber reads. Plain ints and an if-chain in ``read``, not a dict of
# bound methods: a compiled build then calls each handler directly, without a Python-level call per segment.
_REF: Final = 1
_NM1: Final = 2
_HL: Final = 3
_CLM: Final = 4
_DMG: Final = 5
_SBR: Final = 6
_SV1: Final = 7
_LX: Final = 8
_DTP: Final = 9
_HI: Final = 10
_UNREAD: Final = 11  # PRV, PER: nothing the scrubber reads, and never a patient's
_SV2: Final = 12
_SV3: Final = 13
SEGMENT_KINDS: Final[dict[str, int]] = {
    "REF": _REF, "NM1": _NM1, "HL": _HL, "CLM": _CLM, "DMG": _DMG, "SBR": _SBR, "SV1": _SV1, "LX": _LX,
    "DTP": _DTP, "HI": _HI, "PRV": _UNREAD, "PER": _UNREAD, "SV2": _SV2, "SV3": _SV3,
}


@dataclass(frozen=True, slots=True)
class _Pointers:
    """SV107 as read: the raw pointers, and how to pick their codes from the claim's HI codes at once.

    When every pointer is a plain 1..12, ``pick(dx)`` is the line's codes for any ``dx`` longer than
    ``top`` (an ``itemgetter``, built once per distinct SV1 since it is memoized with it). Otherwise
    ``top`` is MAX_DX, never below the number of codes, and the raw pointers are resolved one by one.
    """

    raw: tuple[str, ...]
    top: int
    pick: Callable[[tuple[str, ...]], tuple[str, ...]]


# An LX: LX01 as text and as a line number (None when it is not one).
_LX01 = tuple[str, int | None]
# One SV1 as read: code, modifiers, charge, units (None when not positive), place of service, SV107 pointers.
_LineFields = tuple[str, tuple[str, ...], Decimal | None, Decimal | None, str | None, _Pointers | None]


# Zones inside a claim: which NM1/REF/DTP segments mean what depends on where they appear.
_NONE: Final = 0
_CLAIM: Final = 1
_COB: Final = 2
_LINE: Final = 3


@dataclass(slots=True)
class _Person:
    """The data of one subscriber (HL 22) or patient (HL 23) loop."""

    segment: int
    last: str | None = None
    first: str | None = None
    member_id: str | None = None
    birth_date: date | None = None
    payer_type: str | None = None
    issues: tuple[str, ...] = ()  # a tuple, not a list: no default_factory call per HL (rarely any issue)

    def restart(self, segment: int) -> None:
        """Become the person of a new loop at ``segment``, with nothing read yet.

        The builder reuses its subscriber and patient objects from one HL to the next (nothing else refers
        to them, and close() has copied what the claim needs): a method call costs far less than a new object.
        """
        self.segment = segment
        self.last = self.first = self.member_id = self.birth_date = self.payer_type = None
        self.issues = ()


class Known:
    """What a segment says, and ``apply(builder)``, the part of its handler that applies it to the current claim.

    One small class per kind of segment that can be remembered, each holding what its segment said; it never
    refers to the builder (a reference cycle would keep the last patient's data in memory until a full garbage
    collection). A method of a class, not a bound function: a compiled build calls it through its class's
    table of methods, without a Python-level call per segment. A handler reads its segment into one of these,
    remembers it when it may (``ClaimBuilder.known``) and applies it, as a later sight of the same text does.
    """

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        """PRV, PER and an NM1 of no entity ``_KnownProvider`` reads: nothing to apply."""


_IGNORE: Final = Known()

_V = TypeVar("_V")


class _KnownValue(Known, Generic[_V]):
    """A ``Known`` holding the one value its segment said (its subclasses say how it applies)."""

    __slots__ = ("value",)

    def __init__(self, value: _V) -> None:
        self.value = value


class _KnownSbr(_KnownValue[str]):
    """SBR09, the claim filing indicator ('' when absent)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        payer_type = self.value
        if b.claim is not None:
            b._zone = _COB  # 2320 other subscriber: its NM1/REF are not this claim's
            b._line = None
        elif b._hl_level == "22" and b._sub is not None:
            b._sub.payer_type = payer_type or None


class _KnownProvider(_KnownValue[tuple[str, str | None]]):
    """An NM1 that names no patient: (NM101 entity, the NPI or None)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        entity, npi = self.value
        zone = b._zone
        if zone == _NONE:
            if entity == "85" and b._hl_level == "20":
                b._billing_npi = npi
        elif zone == _LINE:
            line = b._line
            if line is None:
                return
            if entity == "82":
                line.rendering_npi = npi
            elif entity == "DK":
                line.ordering_npi = npi
                b._line_has_dk = True
            elif entity == "DN" and not b._line_has_dk:
                line.ordering_npi = npi
        elif zone == _CLAIM:
            if entity == "DN":
                b._claim_ordering = npi
            elif entity == "DK":
                b._claim_ordering_dk = npi
            elif entity == "82":
                b._claim_rendering = npi


class _KnownHi(_KnownValue[tuple[str, ...]]):
    """The diagnosis codes of an HI (no dot, upper case)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        codes = self.value
        if b.claim is None or b._zone != _CLAIM:
            b._issue(f"HI at segment {b._seg()} is not inside a claim (after CLM, before the first LX).")
            if b.claim is None:
                return
        room = MAX_DX - len(b._dx)
        if len(codes) > room:
            codes = codes[:room]
            b._dx_overflow = True
        b._dx += codes


class _KnownLx(_KnownValue[_LX01]):
    """LX01 as text and as a line number (None when it is not one)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        lx01 = self.value
        seg = b._last - b._remaining()  # b._seg() inlined: every line has an LX
        if b.claim is None:
            b._orphan(seg, "LX")
        elif b._pending_lx is not None:
            b._lx_without_sv1()
        b._zone = _LINE
        b._line = None
        b._pending_lx, b._lx_seg = lx01, seg


class _KnownSv1(_KnownValue[_LineFields | None]):
    """What an SV1 says (None: no readable procedure code; then never remembered, only applied)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        fields = self.value
        if b.claim is None:
            b._orphan(b._seg(), "SV1")
        lx01 = b._pending_lx
        if lx01 is None:
            seg = b._seg()
            b._issue(f"SV1 at segment {seg} has no LX line counter before it.")
            b._zone = _LINE
            lx01, b._lx_seg = ("", len(b._lines) + 1), seg
        else:
            b._pending_lx = None
        if fields is None:
            b._line = None
            b._saw_line = True
            b._issue(f"SV101 at segment {b._seg()} has no readable procedure code (expected HC:code:modifiers); "
                     "the line is not checked.", "Send SV101 as HC:code with up to four modifiers.")
            return
        number = lx01[1]
        if number is None:
            number = len(b._lines) + 1
            b._issue(f"LX at segment {b._lx_seg} has no line number; read as line {number}.",
                     "Number the service lines in LX01 (1, 2, 3 ...).")
        code, mods, charge, units, place, pointers = fields
        # Every field set here, without the dataclass __init__: the class call costs more than the
        # assignments (tests/test_x12_reader.py::test_every_model_field_is_set guards a field added later).
        # diagnosis_codes is left to ClaimBuilder.close, which sets it on every line of the claim.
        line = _new_line(ServiceLine)
        line.number = number
        line.procedure_code = code
        line.modifiers = mods
        line.units = units or _ONE
        line.charge = charge
        line.service_date = line.service_date_end = line.ordering_npi = line.rendering_npi = line.line_control = None
        line.place_of_service = place
        line.diagnosis_pointers_invalid = ()
        line.documentation = NO_DOCUMENTATION
        line.where = "segment "  # with the number: "segment 48", put together when a message asks
        line.where_no = b._lx_seg
        b._pointers.append(pointers)
        b._lines.append(line)
        b._line = line
        b._line_has_dk = False


class _KnownDtp(_KnownValue[tuple[date, date | None]]):
    """A DTP*472 service date and the range end (None for a single date)."""

    __slots__ = ()

    def apply(self, b: ClaimBuilder) -> None:
        line = b._line
        if line is not None:
            line.service_date, line.service_date_end = self.value


class ClaimBuilder:
    """Builds claims from the segments fed to ``read``, one segment at a time.

    Most segments of a claim repeat verbatim across a file (the same procedure, charge and pointers; the
    same diagnoses, date of service, line number, filing indicator, ordering and rendering providers).
    ``known`` maps the text of such a segment, once read, to a ``Known`` that applies what it says to the
    current claim: the reader looks a segment up there before splitting it, and a hit skips the split and the
    parsing. An entry is stored only for a segment read without any problem
    (what it says then depends on its text alone), never for one that may identify a patient (NM1 of a
    subscriber or patient, DMG, CLM, REF, an SBR with a policy number), and ``known`` is emptied when the
    delimiters or the detected component separator change, so a hit does exactly what reading the
    segment again would.
    """

    # Slots: attribute reads and writes on the builder are most of the per-segment work.
    __slots__ = ("_alt_comp", "_billing_npi", "_claim_ordering", "_claim_ordering_dk", "_claim_rendering", "_clm05",
                 "_delims", "_dx", "_dx_overflow", "_file_findings", "_hl_level", "_issues", "_last", "_line",
                 "_line_has_dk", "_lines", "_lx_seg", "_owner", "_pat", "_pending_lx", "_pointers", "_remaining",
                 "_saw_line", "_sub", "_zone", "claim", "known")

    def __init__(self, file_findings: list[Finding]) -> None:
        self._file_findings = file_findings
        self._delims: Delimiters | None = None
        self._alt_comp: str | None = None  # component separator the body uses when ISA16 is wrong
        self.known: dict[str, Known] = {}  # emptied, never replaced: the reader holds it
        # CLM05 text -> (place of service, frequency code): the same few values on every claim of a file.
        self._clm05: dict[str, tuple[str | None, str | None]] = {}
        self._remaining: Callable[[], int] = int  # no segment fed yet (int() is 0)
        self._last = 0
        self.reset()

    # -- state ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Start of a transaction: forget the HL hierarchy."""
        self.claim: Claim | None = None
        self._hl_level: str | None = None
        self._billing_npi: str | None = None
        self._sub: _Person | None = None
        self._pat: _Person | None = None
        self._owner: _Person | None = None
        self._zone = _NONE
        # An LX or SV1 that left no line in ``_lines`` was seen in this claim (a claim has lines when either).
        self._saw_line = False
        self._lines: list[ServiceLine] = []  # readable lines of the open claim
        self._pointers: list[_Pointers | None] = []  # their SV107 pointers (None: no SV107)
        # The line that NM1/DTP/REF segments now belong to: None whenever the zone is not _LINE, so a line's
        # segments test this alone.
        self._line: ServiceLine | None = None
        self._line_has_dk = False  # its ordering provider came from 2420E (DK), which 2420F (DN) does not replace
        self._pending_lx: _LX01 | None = None  # an LX still waiting for its SV1 (as remembered: no tuple per line)
        self._lx_seg = 0  # its segment number
        self._issues: list[tuple[str, str, ServiceLine | None]] = []
        self._claim_ordering: str | None = None
        self._claim_ordering_dk: str | None = None
        self._claim_rendering: str | None = None
        # A tuple, extended by concatenation: a claim's one HI is then its codes as read, no list nor copy.
        self._dx: tuple[str, ...] = ()
        self._dx_overflow = False

    def read_from(self, remaining: Callable[[], int], last: int) -> None:
        """The segments about to be fed: ``last`` is the number of the last in the file, ``remaining()`` how
        many come after the one being fed (``__length_hint__`` of the reader's iterator over them).

        Most segments never need their number: working it out on demand (``_seg``) saves an int per segment.
        """
        self._remaining, self._last = remaining, last

    def _seg(self) -> int:
        """The number (1-based, in the file) of the segment being fed."""
        return self._last - self._remaining()

    def set_delimiters(self, delims: Delimiters) -> None:
        if delims is not self._delims:
            self._delims = delims
            self._set_alt_comp(None)

    def _set_alt_comp(self, alt: str | None) -> None:
        self._alt_comp = alt
        self.known.clear()  # what it holds was read with other separators
        self._clm05.clear()

    # -- component separator -------------------------------------------------------------------------
    def _split(self, value: str, candidate_at: int) -> list[str]:
        """Split a composite element; detect a body that uses another component separator than ISA16.

        ``candidate_at`` is where a separator must stand in this element (after a 2-letter qualifier,
        a 2-digit place of service, ...), so a different character there is unambiguous.
        """
        comp = self._delims.component if self._delims else ":"
        if comp in value:
            return value.split(comp)
        alt = self._alt_comp
        if alt is not None:
            return value.split(alt) if alt in value else [value]
        if 0 < candidate_at < len(value):
            ch = value[candidate_at]
            if not ch.isalnum() and not ch.isspace() and ch not in "-." and self._delims is not None \
                    and ch != self._delims.element:
                self._set_alt_comp(ch)
                self._file_findings.append(finding(
                    "X12_ENVELOPE", None, None,
                    f"The claims use {ch!r} as the component separator but the ISA16 header declares "
                    f"{comp!r} (first seen at segment {self._seg()}); the composite elements were read with "
                    f"{ch!r}.",
                    f"Make the billing system write {ch!r} in ISA16, or use {comp!r} in the claim segments.",
                ))
                return value.split(ch)
        return [value]

    def _keep(self, text: str, known: Known) -> None:
        """Keep what segment ``text`` says (``known``) for its next sight, within the memo's bounds; see the
        class docstring."""
        if len(text) > _MEMO_MAX_TEXT:
            return
        memo = self.known
        if len(memo) >= _MEMO_MAX:
            memo.clear()
        memo[text] = known

    # -- problems ------------------------------------------------------------------------------------
    def _issue(self, message: str, suggestion: str = _FIX, line: ServiceLine | None = None) -> None:
        self._issues.append((message, suggestion, line))

    # -- segments ------------------------------------------------------------------------------------
    def read(self, kind: int, els: list[str], text: str) -> Claim | None:
        """Read one segment of ``kind`` (``SEGMENT_KINDS``): ``els`` its elements, ``text`` the whole segment.

        Returns the claim the segment closes, if any. Handlers pad a short element list in place
        (``els += _PAD``) so optional trailing elements read as ''. A handler of a segment that can be
        remembered reads it into a ``Known``, remembers that when it may, then applies it, as a later sight
        of the same text does. The most frequent kinds of a claim's unremembered segments come first.
        """
        if kind == _REF:
            self._ref(els, text)
        elif kind == _NM1:
            self._nm1(els, text)
        elif kind == _HL:
            return self._hl(els, text)
        elif kind == _CLM:
            return self._clm(els, text)
        elif kind == _DMG:
            self._dmg(els, text)
        elif kind == _SBR:
            self._sbr(els, text)
        elif kind == _SV1:
            self._sv1(els, text)
        elif kind == _LX:
            self._lx(els, text)
        elif kind == _DTP:
            self._dtp(els, text)
        elif kind == _HI:
            self._hi(els, text)
        elif kind == _UNREAD:
            self._keep(text, _IGNORE)  # PRV, PER: remembered, so not split again
        elif kind == _SV2:
            self._refuse("an 837I institutional claim (it has SV2 service lines)")
        elif kind == _SV3:
            self._refuse("an 837D dental claim (it has SV3 service lines)")
        return None

    def _refuse(self, what: str) -> NoReturn:
        """A service segment of another 837 (SV2, SV3): whatever GS08/ST03 say, the file is not an 837P."""
        raise FileRejected("FILE_UNSUPPORTED_FORMAT", f"the file is {what}", f"segment {self._seg()}",
                           "Send professional claims (837P, SV1 service lines) only.")

    def _sbr(self, els: list[str], text: str) -> None:
        if len(els) < 10:
            els += _PAD
        known = _KnownSbr(els[9].strip())  # '' rather than None when absent
        if not els[3]:  # SBR03, a group or policy number, may identify the subscriber: such an SBR is not kept
            self._keep(text, known)
        known.apply(self)

    def _hl(self, els: list[str], text: str) -> Claim | None:
        done = self.close() if self.claim is not None else None
        if len(els) < 4:
            els += _PAD
        level = els[3]
        self._hl_level = level
        self._zone = _NONE  # no line to clear: there is none without a claim, and close() cleared it
        if level == "20":
            self._billing_npi = None
            self._sub = self._pat = self._owner = None
        elif level == "22":
            seg = self._last - self._remaining()  # self._seg() inlined: one per claim
            sub = self._sub
            if sub is None:
                self._sub = sub = _Person(seg)
            else:
                sub.restart(seg)
            self._pat = None
            self._owner = sub
        elif level == "23":
            pat = self._pat
            if pat is None:
                self._pat = pat = _Person(self._seg())
            else:
                pat.restart(self._seg())
            self._owner = pat
        return done

    def _nm1(self, els: list[str], text: str) -> None:
        if len(els) < 10:
            els += _PAD
        entity = els[1]
        if entity in _NOT_A_PATIENT:
            if entity not in _PROVIDERS_READ:  # the payer, submitter, receiver ...: nothing to read (and apply)
                self._keep(text, _IGNORE)
                return
            known = _KnownProvider((entity, _npi(els)))
            self._keep(text, known)
            known.apply(self)
        elif self._zone == _NONE:
            if entity == "IL" and self._hl_level == "22" and (sub := self._sub) is not None:
                sub.last, sub.first = els[3].strip() or None, els[4].strip() or None
                sub.member_id = els[9].strip() or None
            elif entity == "QC" and self._hl_level == "23" and (pat := self._pat) is not None:
                pat.last, pat.first = els[3].strip() or None, els[4].strip() or None

    def _dmg(self, els: list[str], text: str) -> None:
        if self._zone != _NONE:
            return
        person = self._pat if self._hl_level == "23" else self._sub if self._hl_level == "22" else None
        if person is None:
            return
        if len(els) < 3:
            els += _PAD
        value = els[2].strip()
        person.birth_date = birth_date(value) if els[1] == "D8" else None
        if person.birth_date is None and value:
            person.issues += (f"The birth date in DMG at segment {self._seg()} is not a valid D8 date (CCYYMMDD).",)

    def _clm(self, els: list[str], text: str) -> Claim | None:
        done = self.close() if self.claim is not None else None
        if len(els) < 6:
            els += _PAD
        claim_id = els[1].strip()
        seg = self._last - self._remaining()  # self._seg() inlined: one per claim
        self.claim = claim = _new_claim(claim_id or f"(no CLM01, segment {seg})", seg, self._billing_npi)
        self._zone = _CLAIM
        if not claim_id:
            self._issue(f"CLM at segment {seg} has no CLM01 claim identifier.",
                        "Put the patient control number in CLM01.")
        raw_total = els[2]
        claim.total_charge = total = amount(raw_total)
        if total is None:
            self._issue(f"CLM02 total charge at segment {seg} is {'missing' if not raw_total else 'not a number'}.",
                        "Put the claim total (the sum of the SV102 line charges) in CLM02.")
        clm05 = els[5]
        pos_freq = (self._clm05.get(clm05) or self._read_clm05(clm05)) if clm05 else _NO_CLM05
        claim.place_of_service, claim.frequency_code = pos_freq
        if pos_freq[0] is None:
            self._issue(f"CLM05-1 place of service is missing at segment {seg}.",
                        "Put the place of service code in CLM05-1.")
        return done

    def _read_clm05(self, clm05: str) -> tuple[str | None, str | None]:
        """CLM05 -> (place of service, frequency code), remembered when read with no change of separator."""
        alt = self._alt_comp
        parts = self._split(clm05, 2)
        pos_freq = parts[0].strip() or None, parts[2].strip() or None if len(parts) > 2 else None
        if len(clm05) <= _MEMO_MAX_TEXT and self._alt_comp is alt:
            if len(self._clm05) >= _MEMO_MAX:
                self._clm05.clear()
            self._clm05[clm05] = pos_freq
        return pos_freq

    def _hi(self, els: list[str], text: str) -> None:
        if self.claim is None:  # nothing is read (nor remembered): applying reports the HI and returns
            _KnownHi(()).apply(self)
            return
        alt = self._alt_comp
        codes, bad = self._read_hi(els)
        known = _KnownHi(codes)
        if not bad and self._alt_comp is alt:
            self._keep(text, known)
        known.apply(self)
        if bad:
            where = ", ".join(f"HI{p:02d}" for p in bad)
            self._issue(f"HI at segment {self._seg()}: {where} not in 'qualifier:code' form (ABK/ABF); not read.",
                        "Send each diagnosis as ABK:code (principal) or ABF:code, separated by the ISA16 "
                        "component separator.")

    def _read_hi(self, els: list[str]) -> tuple[tuple[str, ...], list[int]]:
        """The HI codes (no dot, upper case) and the positions of elements not in 'qualifier:code' form."""
        codes: list[str] = []
        bad: list[int] = []
        for pos in range(1, len(els)):
            value = els[pos].strip()
            if not value:
                continue
            qual_len = 3 if value[:3].upper() in ("ABK", "ABF") else 2
            parts = self._split(value, qual_len)
            if len(parts) < 2 or parts[0].strip().upper() not in _DX_QUALIFIERS or not parts[1].strip():
                bad.append(pos)
            else:
                codes.append(parts[1].strip().replace(".", "").upper())
        return tuple(codes), bad

    def _lx(self, els: list[str], text: str) -> None:
        text01 = els[1].strip() if len(els) > 1 else ""
        try:
            number: int | None = int(text01)
        except ValueError:
            number = None
        known = _KnownLx((text01, number))
        self._keep(text, known)
        known.apply(self)

    def _lx_without_sv1(self) -> None:
        assert self._pending_lx is not None
        number = self._pending_lx[0]
        self._pending_lx = None
        self._saw_line = True
        self._issue(f"LX {number or '(no number)'} at segment {self._lx_seg} has no SV1 service segment; "
                    "the line is not checked.",
                    "Every LX must be followed by an SV1 with the procedure code, charge and units.")

    def _orphan(self, seg: int, sid: str) -> None:
        """A service line with no CLM before it: keep it on a placeholder claim, say so."""
        self.claim = claim = _new_claim(f"(no CLM, segment {seg})", seg, self._billing_npi)
        claim.total_charge = claim.place_of_service = claim.frequency_code = None
        self._issue(f"{sid} at segment {seg} has no CLM claim segment before it in its HL loop.",
                    "Every set of service lines must follow a CLM segment.")

    def _sv1(self, els: list[str], text: str) -> None:
        # Reading before applying is safe: reading records no claim issue, so the issues keep their order.
        alt = self._alt_comp
        fields = self._read_sv1(els)
        known = _KnownSv1(fields)
        if fields is not None and fields[2] is not None and fields[3] is not None and self._alt_comp is alt:
            self._keep(text, known)  # only lines read without a problem
        known.apply(self)
        if fields is not None and (fields[2] is None or fields[3] is None):
            self._charge_and_units_issues(els, self._seg(), self._line, fields[2], fields[3])

    def _charge_and_units_issues(self, els: list[str], seg: int, line: ServiceLine | None, charge: Decimal | None,
                                 units: Decimal | None) -> None:
        if charge is None:
            self._issue(f"SV102 line charge at segment {seg} is {'missing' if not els[2] else 'not a number'}.",
                        "Put the line charge in SV102.", line)
        if units is None:
            self._issue(f"SV104 units at segment {seg} are {'missing' if not els[4] else 'not a positive number'}"
                        "; read as 1.", "Put the number of units in SV104.", line)

    def _read_sv1(self, els: list[str]) -> _LineFields | None:
        """What an SV1 says (units None when not positive); None when SV101 has no readable procedure code."""
        if len(els) < 8:
            els += _PAD
        sv101 = self._split(els[1], 2)
        code = sv101[1].strip().upper() if len(sv101) > 1 else ""
        if not code or (sv101[0] != "HC" and sv101[0].strip().upper() not in ("HC", "ER", "IV", "WK")):
            return None
        mods = tuple(m for m in (m.strip().upper() for m in sv101[2:6]) if m)
        units = amount(els[4])
        sv107 = els[7]
        pointers = _read_pointers(tuple(self._split(sv107, 1))) if sv107 else None
        return (code, mods, amount(els[2]), units if units is not None and units > 0 else None,
                els[5].strip() or None, pointers)

    def _dtp(self, els: list[str], text: str) -> None:
        line = self._line
        if line is None:  # not in a line's zone, or its SV1 was not read
            return
        dates = self._read_dtp(els, line)
        if dates is not None:
            known = _KnownDtp(dates)
            self._keep(text, known)
            known.apply(self)

    def _read_dtp(self, els: list[str], line: ServiceLine) -> tuple[date, date | None] | None:
        """The service date (DTP*472) and range end; None for another date, or an unreadable one (reported)."""
        if len(els) < 4:
            els += _PAD
        if els[1] != "472":
            return None
        qualifier, value = els[2], els[3]
        if qualifier == "D8":
            start, end = d8(value), None
        else:
            got = date_range(qualifier, value)
            start, end = got if got is not None else (None, None)
        if start is None:
            self._issue(f"DTP*472 service date at segment {self._seg()} is not a valid D8 or RD8 date.",
                        "Send the date of service as D8 CCYYMMDD or RD8 CCYYMMDD-CCYYMMDD.", line)
            return None
        return start, end

    def _ref(self, els: list[str], text: str) -> None:
        if len(els) < 3:
            els += _PAD
        qual = els[1]
        if qual == "6R":
            line = self._line
            if line is not None:
                line.line_control = els[2].strip() or None
        elif qual == "F8" and self._zone == _CLAIM and self.claim is not None:
            self.claim.has_original_reference = bool(els[2].strip())

    # -- closing -------------------------------------------------------------------------------------
    def close(self, *, cut_off: bool = False) -> Claim | None:
        """Finish the open claim, if any, and return it. ``cut_off``: the file ended inside it."""
        claim = self.claim
        if claim is None:
            return None
        if self._pending_lx is not None:
            self._lx_without_sv1()
        if cut_off:
            self._issue("The file ends inside this claim (no SE trailer follows): it may be cut off.",
                        "Upload the complete file.")
        owner, sub = self._owner, self._sub
        if owner is None:
            self._issue(f"CLM at {claim.location} is not inside a subscriber (HL 22) or patient (HL 23) loop.")
        else:
            claim.patient_last_name, claim.patient_first_name = owner.last, owner.first
            claim.birth_date = owner.birth_date
            if owner.issues:
                for msg in owner.issues:
                    self._issue(msg, "Send the birth date as DMG*D8*CCYYMMDD.")
        if sub is not None:
            claim.member_id = sub.member_id
            claim.payer_type_code = payer_type = sub.payer_type
            if not payer_type:
                self._issue(f"The subscriber loop at segment {sub.segment} has no SBR09 claim filing indicator; "
                            "the claim is checked as a commercial claim.",
                            "Put the claim filing indicator (MB for Medicare Part B) in SBR09.")
        else:
            payer_type = claim.payer_type_code
        claim.payer = _MEDICARE if payer_type in MEDICARE_PAYER_TYPES else _COMMERCIAL
        if self._dx_overflow:
            self._issue(f"The claim at {claim.location} has more than {MAX_DX} HI diagnosis codes; "
                        f"the first {MAX_DX} were read.", "An 837P claim carries at most 12 diagnosis codes.")
        claim.diagnosis_codes = dx = self._dx
        claim.ordering_npi = ordering = self._claim_ordering or self._claim_ordering_dk
        claim.rendering_npi = rendering = self._claim_rendering
        claim.lines = lines = self._lines
        if lines:
            # Line-level values override the claim's: fill in the claim's where the line has none. (Inline,
            # not a method: one call less per claim.)
            pos, n = claim.place_of_service, len(dx)
            # SV1 appends to both lists; zip(strict=True) would cost a keyword call per claim.
            for line, pointers in zip(lines, self._pointers):  # noqa: B905
                if line.place_of_service is None:
                    line.place_of_service = pos
                if line.ordering_npi is None:
                    line.ordering_npi = ordering
                if line.rendering_npi is None:
                    line.rendering_npi = rendering
                if pointers is None:
                    line.diagnosis_codes = dx[:1]  # the principal diagnosis
                elif pointers.top < n:  # the usual: plain pointers into the HI codes
                    line.diagnosis_codes = pointers.pick(dx)
                else:
                    _resolve_pointers(line, pointers.raw, dx)
        elif not self._saw_line:
            self._issue(f"The claim at {claim.location} has no service lines (LX/SV1).",
                        "Every claim needs at least one service line.")
        if self._issues:
            claim.reader_findings.extend(
                finding("X12_CLAIM_MALFORMED", claim, line, msg, sugg) for msg, sugg, line in self._issues
            )
            self._issues = []
        # Keep the HL context (billing provider, subscriber, patient) for the next claim of the same HL.
        self.claim = None
        self._zone = _NONE
        self._saw_line = False
        self._lines = []
        self._pointers.clear()  # cheaper than a new list per claim
        self._line = None
        self._claim_ordering = self._claim_ordering_dk = self._claim_rendering = None
        self._dx = ()
        self._dx_overflow = False
        return claim


# -- helpers of the handlers and of Known.apply ---------------------------------------------------------------

def _resolve_pointers(line: ServiceLine, pointers: Sequence[str], dx: tuple[str, ...]) -> None:
    """SV107 pointers (1-based into HI) -> the line's codes; pointers past the HI codes are kept apart."""
    codes: list[str] = []
    invalid: list[str] = []
    n = len(dx)
    for p in pointers:
        i = _POINTER_INDEX.get(p)
        if i is None:
            p = p.strip()
            if not p:
                continue
            i = int(p) - 1 if p.isascii() and p.isdigit() else -1  # int() refuses digits like "²"
        if 0 <= i < n:
            codes.append(dx[i])
        else:
            invalid.append(p[:4])
    line.diagnosis_codes = tuple(codes)
    if invalid:
        line.diagnosis_pointers_invalid = tuple(invalid)


def _read_pointers(raw: tuple[str, ...]) -> _Pointers:
    """SV107 split into its pointers -> _Pointers (see there)."""
    indexes = [i for p in raw if (i := _POINTER_INDEX.get(p)) is not None]
    if len(indexes) != len(raw):  # a blank, padded, zero or out-of-range pointer: resolved one by one
        return _Pointers(raw, MAX_DX, _PICK_NONE)
    # One index: a slice, so the getter still returns a tuple.
    pick = itemgetter(*indexes) if len(indexes) > 1 else itemgetter(slice(indexes[0], indexes[0] + 1))
    return _Pointers(raw, max(indexes), pick)


def _new_claim(claim_id: str, seg: int, billing_npi: str | None) -> Claim:
    """A claim built field by field, without the dataclass __init__ (as for ServiceLine in
    _KnownSv1.apply). Set elsewhere, so not twice: total_charge, place_of_service and
    frequency_code by the caller (what CLM says); lines, payer, diagnosis_codes, ordering_npi and
    rendering_npi by ClaimBuilder.close, which every claim goes through before it is handed out.
    """
    claim = _new_claim_object(Claim)
    claim.claim_id = claim_id
    claim.payer_type_code = claim.member_id = claim.patient_last_name = claim.patient_first_name = None
    claim.birth_date = None
    claim.billing_npi = billing_npi
    claim.has_original_reference = False
    claim.locality = None
    claim.documented = DOCUMENTED
    claim.where = "segment "
    claim.where_no = seg
    claim.reader_findings = []
    return claim


def _npi(els: list[str]) -> str | None:
    """NM109 when NM108 says it is an NPI (XX); other identifiers are not NPIs."""
    if els[8] == "XX":  # callers pad ``els``
        return els[9].strip() or None
    return None
