"""Practitioner MUE file (MCR_MUE_PractitionerServices_Eff_MM-DD-YYYY.csv): unit limit and MAI per code.

The header cells are quoted and span lines ("HCPCS/\\nCPT Code"); the adjudication indicator cell reads
like ``3 Date of Service Edit: Clinical``. Row layout: ``code,units,MAI,rationale``.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from ctscrub.refdata.importers.common import (
    HCPCS_RE,
    ImportRefused,
    Parsed,
    find_columns,
    norm_header,
    quarter_end,
    read_text,
    version_from_name,
)

_WANTED = {
    "code": ("HCPCS/ CPT CODE", "HCPCS/CPT CODE", "HCPCS"),
    "units": ("PRACTITIONER SERVICES MUE VALUES",),
    "mai": ("MUE ADJUDICATION INDICATOR",),
    "rationale": ("MUE RATIONALE",),
}
_MAI_RE = re.compile(r"^\s*([123])\b")
_EFF_RE = re.compile(r"Eff_(\d\d)-(\d\d)-(\d{4})", re.I)


def parse(path: Path) -> Parsed:
    rows = list(csv.reader(io.StringIO(read_text(path))))
    h = next((i for i, r in enumerate(rows[:10]) if r and norm_header(r[0]).startswith("HCPCS")), None)
    if h is None:
        raise ImportRefused("no header row starting with 'HCPCS/CPT Code' in the first rows: not an MUE file")
    col = find_columns(rows[h], _WANTED, f"header row {h + 1}")
    out: list[str] = []
    for n, r in enumerate(rows[h + 1:], start=h + 2):
        if not any(c.strip() for c in r):
            continue
        where = f"record {n}"
        if len(r) <= max(col.values()):
            raise ImportRefused(f"{where} has {len(r)} fields, expected {max(col.values()) + 1}")
        code = r[col["code"]].strip().upper()
        if not HCPCS_RE.match(code):
            raise ImportRefused(f"{where}: {code!r} is not a HCPCS code")
        units = r[col["units"]].strip()
        if not units.isdigit():
            raise ImportRefused(f"{where}: MUE value {units!r} is not a whole number")
        m = _MAI_RE.match(r[col["mai"]])
        if not m:
            raise ImportRefused(f"{where}: adjudication indicator {r[col['mai']]!r} does not start with 1, 2 or 3")
        rationale = " ".join(r[col["rationale"]].split()).replace(",", ";")
        out.append(f"{code},{int(units)},{m.group(1)},{rationale}")
    if not out:
        raise ImportRefused("the file has an MUE header but no rows")
    e = _EFF_RE.search(path.name)
    start = date(int(e.group(3)), int(e.group(1)), int(e.group(2))) if e else None
    return Parsed(rows=out, version=version_from_name(path), effective_from=start,
                  effective_to=quarter_end(start) if start else None, title="CMS practitioner MUE")
