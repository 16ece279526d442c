"""GPCI file (PFS Addendum E): work, PE and MP GPCIs per MAC locality. Footnote rows at the end are skipped.

Row layout: ``MAC-LL,work,pe,mp,locality name``; the key is the MAC number and the two-digit locality.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from ctscrub.refdata.importers.common import ImportRefused, Parsed, norm_header, number, read_text, version_from_name

_MAC_RE = re.compile(r"^\d{5}$")
_LOC_RE = re.compile(r"^\d{1,2}$")


def _column(header: list[str], *needles: str) -> int:
    for i, h in enumerate(header):
        if all(n in h for n in needles):
            return i
    raise ImportRefused(f"expected a column with {' '.join(needles)!r} in the GPCI header")


def parse(path: Path) -> Parsed:
    rows = list(csv.reader(io.StringIO(read_text(path))))
    h = next((i for i, r in enumerate(rows[:20]) if any("LOCALITY NUMBER" in norm_header(c) for c in r)), None)
    if h is None:
        raise ImportRefused("no header with a 'Locality Number' column in the first 20 lines: not a GPCI file")
    header = [norm_header(c) for c in rows[h]]
    mac, loc, name = _column(header, "CONTRACTOR"), _column(header, "LOCALITY NUMBER"), _column(header, "LOCALITY NAME")
    work, pe, mp = _column(header, "PW GPCI"), _column(header, "PE GPCI"), _column(header, "MP GPCI")
    m = re.search(r"\b(20\d\d) PE GPCI", " ".join(header)) or re.search(r"(20\d\d)", path.name)
    if not m:
        raise ImportRefused("the GPCI year is neither in the header nor in the file name")
    year = int(m.group(1))
    out: list[str] = []
    seen: set[str] = set()
    for n, r in enumerate(rows[h + 1:], start=h + 2):
        first = r[mac].strip() if len(r) > mac else ""
        if not _MAC_RE.match(first):
            continue  # blank and footnote rows ("MAC Assignments as of ...", "*Work GPCI reflects ...")
        where = f"line {n}"
        if len(r) <= max(work, pe, mp, loc, name) or not _LOC_RE.match(r[loc].strip()):
            raise ImportRefused(f"{where}: locality number {r[loc] if len(r) > loc else ''!r} is not 1-2 digits")
        key = f"{first}-{int(r[loc].strip()):02d}"
        if key in seen:
            raise ImportRefused(f"{where}: locality {key} appears twice")
        seen.add(key)
        vals = [number(r[i], label, where) for i, label in ((work, "work GPCI"), (pe, "PE GPCI"), (mp, "MP GPCI"))]
        label = " ".join(r[name].replace("*", "").split()).replace(",", " ")
        out.append(",".join([key, *vals, label]))
    if not out:
        raise ImportRefused("the file has a GPCI header but no locality rows")
    return Parsed(rows=out, version=version_from_name(path), effective_from=date(year, 1, 1),
                  effective_to=date(year, 12, 31), title=f"CMS GPCI {year}", meta={"year": year})
