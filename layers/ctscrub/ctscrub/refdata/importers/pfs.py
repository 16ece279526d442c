"""PFS relative value file (PPRRVU*.csv): RVUs, indicators and the conversion factor by HCPCS and modifier.

The 2025 and 2026 layouts differ (2026 adds PRIC IND), so columns are found by their header, which CMS
spreads over several lines above the one that starts ``HCPCS,MOD``. Descriptors (AMA) are dropped.
Row layout: hcpcs,mod,status,work,pe_nf,pe_f,mp,pctc,mult,family,opps_pe_nf,opps_pe_f,opps_mp,na_nf,na_f.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from ctscrub.refdata.importers.common import (
    HCPCS_RE,
    MODIFIER_RE,
    ImportRefused,
    Parsed,
    find_columns,
    norm_header,
    number,
    read_text,
    version_from_name,
)

COLUMNS = ("hcpcs", "mod", "status", "work", "pe_nf", "pe_f", "mp", "pctc", "mult", "family",
           "opps_pe_nf", "opps_pe_f", "opps_mp", "na_nf", "na_f")
_WANTED = {
    "hcpcs": ("HCPCS",), "mod": ("MOD",), "status": ("STATUS CODE",), "work": ("WORK RVU",),
    "pe_nf": ("NON-FAC PE RVU",), "na_nf": ("NON-FAC NA INDICATOR",), "pe_f": ("FACILITY PE RVU",),
    "na_f": ("FACILITY NA INDICATOR",), "mp": ("MP RVU",), "pctc": ("PCTC IND",), "mult": ("MULT PROC",),
    "cf": ("CONV FACTOR",), "family": ("DIAGNOSTIC IMAGING FAMILY INDICATOR",),
    "opps_pe_nf": ("NON-FACILITY PE USED FOR OPPS PAYMENT AMOUNT",),
    "opps_pe_f": ("FACILITY PE USED FOR OPPS PAYMENT AMOUNT",),
    "opps_mp": ("MP USED FOR OPPS PAYMENT AMOUNT",),
}
_NUMERIC = ("work", "pe_nf", "pe_f", "mp")
_OPPS = ("opps_pe_nf", "opps_pe_f", "opps_mp")
_YEAR_RE = re.compile(r"\b(20\d\d) National Physician Fee Schedule", re.I)


def _combined_header(rows: list[list[str]], h: int) -> list[str]:
    """Join the header cells of line ``h`` with the cells above it, up to the release/title lines."""
    width = len(rows[h])
    parts: list[list[str]] = [[c] for c in rows[h]]
    i = h - 1
    while i >= 0 and h - i <= 6:
        row = rows[i]
        if len(row) > 2 and row[2].strip():  # the title / RELEASED lines carry text in column 3
            break
        for j in range(min(width, len(row))):
            if row[j].strip():
                parts[j].insert(0, row[j])
        i -= 1
    return [norm_header(" ".join(p)) for p in parts]


def parse(path: Path, only_codes: frozenset[str] | None = None) -> Parsed:
    rows = list(csv.reader(io.StringIO(read_text(path))))
    h = next((i for i, r in enumerate(rows[:40]) if len(r) > 1 and norm_header(r[0]) == "HCPCS"
              and norm_header(r[1]) == "MOD"), None)
    if h is None:
        raise ImportRefused("no header line starting with HCPCS,MOD in the first 40 lines: not a PFS RVU file")
    col = find_columns(_combined_header(rows, h), _WANTED, f"line {h + 1}")
    preamble = " ".join(" ".join(r) for r in rows[:h])
    m = _YEAR_RE.search(preamble) or re.search(r"(20\d\d)", path.name)
    if not m:
        raise ImportRefused("the fee schedule year is neither in the title lines nor in the file name")
    year = int(m.group(1))
    released = re.search(r"RELEASED\s+(\d\d/\d\d/\d{4})", preamble)
    out: list[str] = []
    cfs: set[str] = set()
    need = max(col.values())
    for n, r in enumerate(rows[h + 1:], start=h + 2):
        if not any(c.strip() for c in r):
            continue
        where = f"line {n}"
        if len(r) <= need:
            raise ImportRefused(f"{where} has {len(r)} columns, the header has {need + 1} or more")
        code, mod = r[col["hcpcs"]].strip().upper(), r[col["mod"]].strip().upper()
        if not HCPCS_RE.match(code) or not MODIFIER_RE.match(mod):
            raise ImportRefused(f"{where}: {code!r} {mod!r} is not a HCPCS code and modifier")
        vals = {k: number(r[col[k]], k.upper(), where) for k in _NUMERIC}
        vals.update({k: number(r[col[k]], k.upper(), where, empty_as_zero=True) for k in _OPPS})
        cf = number(r[col["cf"]], "CONV FACTOR", where, empty_as_zero=True)
        if only_codes is not None and code not in only_codes:
            continue
        if cf != "0":
            cfs.add(cf)
        status = r[col["status"]].strip().upper()
        if len(status) != 1:
            raise ImportRefused(f"{where}: status code {status!r} is not one letter")
        out.append(",".join([
            code, mod, status, vals["work"], vals["pe_nf"], vals["pe_f"], vals["mp"],
            r[col["pctc"]].strip(), r[col["mult"]].strip(), r[col["family"]].strip(),
            vals["opps_pe_nf"], vals["opps_pe_f"], vals["opps_mp"],
            "1" if r[col["na_nf"]].strip().upper() == "NA" else "",
            "1" if r[col["na_f"]].strip().upper() == "NA" else "",
        ]))
    if not out:
        raise ImportRefused("the file has a header but no fee schedule rows")
    if len({ln.split(",", 2)[0] + "," + ln.split(",", 2)[1] for ln in out}) != len(out):
        raise ImportRefused("a HCPCS code and modifier appear on more than one row")
    out.sort()  # lookups bisect on "code,mod,"
    if len(cfs) != 1:
        raise ImportRefused(f"expected one conversion factor, found {sorted(cfs) or 'none'}")
    return Parsed(
        rows=out, version=version_from_name(path), effective_from=date(year, 1, 1),
        effective_to=date(year, 12, 31), title=f"CMS PFS {year}",
        meta={"conversion_factor": cfs.pop(), "columns": list(COLUMNS), "year": year,
              "released": released.group(1) if released else None},
    )
