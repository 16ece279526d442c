"""ICD-10-CM code list: one code per line (codes file) or CMS's order file (only billable codes are kept).

Codes are stored without the dot. The fiscal year comes from the file name (icd10cm_codes_2026.txt is
FY2026, in force 2025-10-01 through 2026-09-30).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ctscrub.refdata.importers.common import ImportRefused, Parsed, read_text

CODE_RE = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z]{1,5}$")  # FY2026 lists 13 QA00.. codes
_ORDER_RE = re.compile(r"^\d{5} ([A-Z0-9]{3,7})\s+([01]) ")


def parse(path: Path) -> Parsed:
    codes: list[str] = []
    order_format: bool | None = None
    for n, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        if order_format is None:
            order_format = bool(_ORDER_RE.match(line))
        if order_format:
            m = _ORDER_RE.match(line)
            if not m:
                raise ImportRefused(f"line {n} does not follow the ICD-10-CM order file layout")
            if m.group(2) != "1":
                continue  # header (category) codes are not billable
            code = m.group(1)
        else:
            code = line.split()[0].replace(".", "").upper()
        if not CODE_RE.match(code):
            raise ImportRefused(f"line {n}: {code!r} is not an ICD-10-CM code")
        codes.append(code)
    if not codes:
        raise ImportRefused("the file holds no billable ICD-10-CM codes")
    if len(set(codes)) != len(codes):
        raise ImportRefused("the file lists a code more than once")
    m = re.search(r"(20\d\d)", path.name)
    fy = int(m.group(1)) if m else None
    return Parsed(rows=sorted(codes), version=f"FY{fy}" if fy else path.stem[:64],
                  effective_from=date(fy - 1, 10, 1) if fy else None,
                  effective_to=date(fy, 9, 30) if fy else None, title=f"ICD-10-CM FY{fy}" if fy else "ICD-10-CM")
