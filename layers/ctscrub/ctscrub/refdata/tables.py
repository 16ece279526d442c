"""Runtime views of loaded datasets: fee schedule rows, GPCIs, OPPS cap prices, PTP edits, MUEs, code sets.

Each view parses its dataset's compact rows once, on first use, into dictionaries keyed the way the
rules and pricing ask.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from ctscrub.refdata.store import Dataset


@dataclass(frozen=True, slots=True)
class PfsRow:
    code: str
    mod: str  # "", "26" or "TC"
    status: str
    work: Decimal
    pe_nf: Decimal
    pe_f: Decimal
    mp: Decimal
    pctc: str
    mult: str  # multiple procedure indicator ("4" = diagnostic imaging)
    family: str  # diagnostic imaging family ("88")
    opps_pe_nf: Decimal
    opps_pe_f: Decimal
    opps_mp: Decimal
    na_nf: bool
    na_f: bool

    @property
    def has_opps_cap(self) -> bool:
        return bool(self.opps_pe_nf or self.opps_pe_f or self.opps_mp)


class FeeSchedule:
    """One PFS release: rows by (code, modifier) and its conversion factor.

    Rows stay as sorted text lines found by binary search, so loading the full fee schedule costs one
    ``split`` and a row is parsed only when first asked for.
    """

    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self.year = int(ds.meta.get("year") or ds.manifest.effective_from.year)
        self.conversion_factor = Decimal(str(ds.meta["conversion_factor"]))
        self._lines = ds.lines()
        self._lines.sort()  # linear when already sorted (the importer sorts)
        self._rows: dict[str, PfsRow | None] = {}

    def __len__(self) -> int:
        return len(self._lines)

    def row(self, code: str, mod: str = "") -> PfsRow | None:
        key = f"{code},{mod},"
        if key not in self._rows:
            i = bisect_left(self._lines, key)
            hit = i < len(self._lines) and self._lines[i].startswith(key)
            self._rows[key] = _pfs_row(self._lines[i]) if hit else None
        return self._rows[key]


def _pfs_row(ln: str) -> PfsRow:
    c = ln.split(",")
    d = [Decimal(x) for x in (c[3], c[4], c[5], c[6], c[10], c[11], c[12])]
    return PfsRow(c[0], c[1], c[2], d[0], d[1], d[2], d[3], c[7], c[8], c[9], d[4], d[5], d[6],
                  c[13] == "1", c[14] == "1")


@dataclass(frozen=True, slots=True)
class Gpci:
    locality: str  # "MAC-LL"
    name: str
    work: Decimal
    pe: Decimal
    mp: Decimal


NATIONAL: Final = Gpci("national", "national", Decimal(1), Decimal(1), Decimal(1))


class GpciTable:
    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self._rows: dict[str, Gpci] = {}
        for ln in ds.lines():
            key, w, pe, mp, name = ln.split(",", 4)
            self._rows[key] = Gpci(key, name, Decimal(w), Decimal(pe), Decimal(mp))

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, locality: str) -> Gpci | None:
        """The GPCIs of ``MAC-LL``.

        CMS files sometimes name a locality under the neighbouring MAC number of the same contractor and
        state (the OPPS cap file lists the southern California localities 17, 18, 71-74 under 01112, the
        GPCI file under 01182): when the exact key is absent, a unique locality with the same number under
        a MAC with the same first three and last digits is used.
        """
        hit = self._rows.get(locality)
        if hit is not None or len(locality) != 8:
            return hit
        mac, loc = locality[:5], locality[6:]
        alike = [g for k, g in self._rows.items()
                 if k[6:] == loc and k[:3] == mac[:3] and k[4] == mac[4]]
        return alike[0] if len(alike) == 1 else None


class OppsCapTable:
    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self._prices: dict[tuple[str, str, str], tuple[Decimal, Decimal]] = {}
        for ln in ds.lines():
            code, mod, loc, fac, nonfac = ln.split(",")
            self._prices[(code, mod, loc)] = (Decimal(fac), Decimal(nonfac))

    def rows(self) -> list[tuple[str, str, str, Decimal, Decimal]]:
        return [(c, m, loc, f, nf) for (c, m, loc), (f, nf) in self._prices.items()]

    def price(self, code: str, mod: str, locality: str, facility: bool) -> Decimal | None:
        hit = self._prices.get((code, mod, locality))
        if hit is None:
            return None
        return hit[0] if facility else hit[1]


@dataclass(frozen=True, slots=True)
class PtpRow:
    effective: date
    deletion: date | None  # None = "*" (still in force)
    modifier_indicator: str
    rationale: str

    def active(self, dos: date) -> bool:
        return self.effective <= dos and (self.deletion is None or dos <= self.deletion)


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


class PtpTable:
    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self._pairs: dict[tuple[str, str], list[PtpRow]] = {}
        self.column1_codes: set[str] = set()
        starts: set[date] = set()  # the first day each row is in force, and the first day after it is not
        for ln in ds.lines():
            c1, c2, eff, dele, mi, rationale = ln.split("\t")
            row = PtpRow(_ymd(eff), None if dele == "*" else _ymd(dele), mi, rationale)
            self._pairs.setdefault((c1, c2), []).append(row)
            self.column1_codes.add(c1)
            starts.add(row.effective)
            if row.deletion is not None and row.deletion < date.max:
                starts.add(row.deletion + timedelta(days=1))
        self._starts = sorted(starts)

    def active(self, column1: str, column2: str, dos: date) -> PtpRow | None:
        return next((r for r in self._pairs.get((column1, column2), ()) if r.active(dos)), None)

    def period(self, dos: date) -> int:
        """Which of the set's periods ``dos`` falls in: two dates of one period have the same rows in force
        (rows carry their own effective and deletion dates inside a quarterly set)."""
        return bisect_right(self._starts, dos)


class MueTable:
    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self._rows: dict[str, tuple[int, int, str]] = {}
        for ln in ds.lines():
            code, units, mai, rationale = ln.split(",", 3)
            self._rows[code] = (int(units), int(mai), rationale)

    def get(self, code: str) -> tuple[int, int, str] | None:
        return self._rows.get(code)


class CodeSet:
    """A code list kept as one sorted list searched by bisection (no per-code hashing at load)."""

    def __init__(self, ds: Dataset) -> None:
        self.manifest = ds.manifest
        self.label = ds.manifest.label
        self._codes = ds.lines()
        self._codes.sort()

    def __len__(self) -> int:
        return len(self._codes)

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        i = bisect_left(self._codes, code)
        return i < len(self._codes) and self._codes[i] == code


TABLE_TYPES: Final[dict[str, type]] = {"pfs": FeeSchedule, "gpci": GpciTable, "oppscap": OppsCapTable,
                                "ncci-ptp": PtpTable, "mue": MueTable, "icd10cm": CodeSet}
