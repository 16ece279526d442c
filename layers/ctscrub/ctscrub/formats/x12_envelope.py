"""X12 envelope bookkeeping: ISA/GS/ST headers and their trailers, versions, counts, control numbers.

Wrong counts, control numbers and missing trailers are ``X12_ENVELOPE`` warnings (the claims are still
checked). A transaction that is not an 837P, or an 837 of another guide or version, rejects the file.
"""

from __future__ import annotations

from typing import Final

from ctscrub.formats.errors import FileRejected
from ctscrub.formats.x12_values import element, safe_token
from ctscrub.model import Finding
from ctscrub.rules.registry import finding

_TRANSACTION_NAMES: Final = {
    "835": "an 835 remittance advice",
    "834": "an 834 benefit enrollment",
    "820": "an 820 premium payment",
    "270": "a 270 eligibility inquiry",
    "271": "a 271 eligibility response",
    "276": "a 276 claim status inquiry",
    "277": "a 277 claim status response",
    "278": "a 278 services review",
    "275": "a 275 patient information attachment",
    "999": "a 999 implementation acknowledgment",
    "997": "a 997 functional acknowledgment",
}
_ONLY_837P: Final = "Send professional claims as X12 837P 005010X222A1."
_FIX_ENVELOPE: Final = "Have the billing system or clearinghouse regenerate the envelope (ISA/GS/ST and trailers)."


def _unsupported(reason: str, seg: int) -> FileRejected:
    return FileRejected("FILE_UNSUPPORTED_FORMAT", reason, f"segment {seg}", _ONLY_837P)


def check_version(version: str, where: str, seg: int) -> None:
    """Reject an implementation guide other than 005010X222* (GS08 or ST03)."""
    v = version.strip().upper()
    if not v or v.startswith("005010X222"):
        return
    name = safe_token(v)
    if v.startswith("004010") or v.startswith("00401"):
        raise _unsupported(f"the file is an 837 in the retired 4010 version ({where} {name}); "
                           "only 5010 (005010X222A1) is read", seg)
    if "X223" in v:
        raise _unsupported(f"the file is an 837I institutional claim ({where} {name})", seg)
    if "X224" in v:
        raise _unsupported(f"the file is an 837D dental claim ({where} {name})", seg)
    raise _unsupported(f"the file's implementation guide is {name} ({where}), not 837P 005010X222", seg)


class Envelope:
    """Tracks the open ISA, GS and ST and reports envelope problems into ``findings``."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.isa_seg: int | None = None
        self.isa13 = ""
        self.gs_count = 0
        self.gs_seg: int | None = None
        self.gs06 = ""
        self.st_count = 0
        self.st_seg: int | None = None
        self.st02 = ""
        self.outside_reported = False

    def _warn(self, message: str) -> None:
        self.findings.append(finding("X12_ENVELOPE", None, None, message, _FIX_ENVELOPE))

    @property
    def in_transaction(self) -> bool:
        return self.st_seg is not None

    def isa(self, els: list[str], seg: int) -> None:
        if self.isa_seg is not None:
            self._close_isa(seg)
        self.isa_seg, self.isa13, self.gs_count = seg, element(els, 13), 0

    def gs(self, els: list[str], seg: int) -> None:
        if self.gs_seg is not None:
            self._close_gs(seg)
        if self.isa_seg is None:
            self._warn(f"GS at segment {seg} is not inside an ISA interchange.")
        self.gs_count += 1
        self.gs_seg, self.gs06, self.st_count = seg, element(els, 6), 0
        check_version(element(els, 8), "GS08", seg)

    def st(self, els: list[str], seg: int) -> None:
        if self.st_seg is not None:
            self._warn(f"Transaction {safe_token(self.st02)} (ST at segment {self.st_seg}) has no SE trailer "
                       f"before the next ST at segment {seg}.")
        if self.gs_seg is None:
            self._warn(f"ST at segment {seg} is not inside a GS functional group.")
        st01 = element(els, 1)
        if st01 != "837":
            what = _TRANSACTION_NAMES.get(st01, f"an X12 {safe_token(st01)} transaction")
            raise _unsupported(f"the file is {what}, not an 837P claim (ST01 {safe_token(st01)})", seg)
        check_version(element(els, 3), "ST03", seg)
        self.st_count += 1
        self.st_seg, self.st02 = seg, element(els, 2)

    def se(self, els: list[str], seg: int) -> None:
        if self.st_seg is None:
            self._warn(f"SE at segment {seg} has no ST header before it.")
            return
        expected = seg - self.st_seg + 1
        se01, se02 = element(els, 1), element(els, 2)
        if not _same_number(se01, str(expected)):
            self._warn(f"SE01 at segment {seg} says {safe_token(se01)} segments but the transaction "
                       f"has {expected} (ST through SE).")
        if se02 != self.st02:
            self._warn(f"SE02 control number at segment {seg} ({safe_token(se02)}) differs from ST02 "
                       f"({safe_token(self.st02)}) at segment {self.st_seg}.")
        self.st_seg = None

    def ge(self, els: list[str], seg: int) -> None:
        if self.st_seg is not None:
            self._warn(f"Transaction {safe_token(self.st02)} (ST at segment {self.st_seg}) has no SE trailer "
                       f"before GE at segment {seg}.")
            self.st_seg = None
        if self.gs_seg is None:
            self._warn(f"GE at segment {seg} has no GS header before it.")
            return
        ge01, ge02 = element(els, 1), element(els, 2)
        if not _same_number(ge01, str(self.st_count)):
            self._warn(f"GE01 at segment {seg} says {safe_token(ge01)} transactions but the group has "
                       f"{self.st_count}.")
        if not _same_number(ge02, self.gs06):
            self._warn(f"GE02 control number at segment {seg} ({safe_token(ge02)}) differs from GS06 "
                       f"({safe_token(self.gs06)}) at segment {self.gs_seg}.")
        self.gs_seg = None

    def iea(self, els: list[str], seg: int) -> None:
        if self.st_seg is not None:
            self._warn(f"Transaction {safe_token(self.st02)} (ST at segment {self.st_seg}) has no SE trailer "
                       f"before IEA at segment {seg}.")
            self.st_seg = None
        if self.gs_seg is not None:
            self._warn(f"The functional group at segment {self.gs_seg} has no GE trailer before IEA "
                       f"at segment {seg}.")
            self.gs_seg = None
        if self.isa_seg is None:
            self._warn(f"IEA at segment {seg} has no ISA header before it.")
            return
        iea01, iea02 = element(els, 1), element(els, 2)
        if not _same_number(iea01, str(self.gs_count)):
            self._warn(f"IEA01 at segment {seg} says {safe_token(iea01)} functional groups but the interchange "
                       f"has {self.gs_count}.")
        if not _same_number(iea02, self.isa13):
            self._warn(f"IEA02 control number at segment {seg} ({safe_token(iea02)}) differs from ISA13 "
                       f"({safe_token(self.isa13)}) at segment {self.isa_seg}.")
        self.isa_seg = None

    def outside(self, sid: str, seg: int) -> None:
        if not self.outside_reported:
            self.outside_reported = True
            self._warn(f"{safe_token(sid, 3)} at segment {seg} is outside any ST..SE transaction and was ignored.")

    def _close_isa(self, seg: int) -> None:
        self._warn(f"The interchange at segment {self.isa_seg} has no IEA trailer before the next ISA at "
                   f"segment {seg}.")

    def _close_gs(self, seg: int) -> None:
        self._warn(f"The functional group at segment {self.gs_seg} has no GE trailer before the next GS at "
                   f"segment {seg}.")

    def end_of_file(self, last_seg: int) -> None:
        """Trailers still open when the file ends: the file is probably truncated."""
        missing = [name for name, open_ in (("SE", self.st_seg), ("GE", self.gs_seg), ("IEA", self.isa_seg))
                   if open_ is not None]
        if missing:
            self._warn(f"The file ends after segment {last_seg} without the {', '.join(missing)} trailer"
                       f"{'s' if len(missing) > 1 else ''}: it may be truncated.")


def _same_number(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if a.isascii() and b.isascii() and a.isdigit() and b.isdigit():  # int() refuses digits like "²"
        return int(a) == int(b)
    return a == b
