"""OPPS cap file (OPPSCAP*.csv): CMS's OPPS-capped imaging prices per code, modifier, MAC and locality.

Row layout: ``hcpcs,mod,MAC-LL,facility price,non-facility price``. The file does not name its year:
it comes from the import's ``--effective-from`` (or a year in the file name).
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
    number,
    read_text,
    version_from_name,
)

_WANTED = {
    "hcpcs": ("HCPCS",), "mod": ("MOD",), "carrier": ("CARRIER", "MAC"), "locality": ("LOCALITY",),
    "fac": ("FACILITY PRICE",), "nonfac": ("NON-FACILITY PRICE", "NON-FACILTY PRICE"),  # CMS spells it both ways
}


def parse(path: Path, only_codes: frozenset[str] | None = None) -> Parsed:
    rows = list(csv.reader(io.StringIO(read_text(path))))
    col = find_columns(rows[0] if rows else [], _WANTED, "line 1")
    out: list[str] = []
    for n, r in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in r):
            continue
        where = f"line {n}"
        if len(r) <= max(col.values()):
            raise ImportRefused(f"{where} has {len(r)} columns; the header has {max(col.values()) + 1}")
        code, mod = r[col["hcpcs"]].strip().upper(), r[col["mod"]].strip().upper()
        carrier, loc = r[col["carrier"]].strip(), r[col["locality"]].strip()
        if not HCPCS_RE.match(code) or not MODIFIER_RE.match(mod):
            raise ImportRefused(f"{where}: {code!r} {mod!r} is not a HCPCS code and modifier")
        if not (len(carrier) == 5 and carrier.isdigit() and loc.isdigit() and len(loc) <= 2):
            raise ImportRefused(f"{where}: {carrier!r}-{loc!r} is not a MAC and locality number")
        fac = number(r[col["fac"]], "FACILITY PRICE", where)
        nonfac = number(r[col["nonfac"]], "NON-FACILITY PRICE", where)
        if only_codes is None or code in only_codes:
            out.append(f"{code},{mod},{carrier}-{int(loc):02d},{fac},{nonfac}")
    if not out:
        raise ImportRefused("the file has no OPPS cap rows" + (" for the selected codes" if only_codes else ""))
    m = re.search(r"(20\d\d)", path.name)
    start = date(int(m.group(1)), 1, 1) if m else None
    return Parsed(rows=out, version=version_from_name(path), effective_from=start,
                  effective_to=date(start.year, 12, 31) if start else None, title="CMS OPPS cap")
