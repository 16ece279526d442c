"""NCCI practitioner PTP file (ccipra-*.txt, tab-delimited): column 1 / column 2 pairs with dates and indicator.

Row layout: ``col1<TAB>col2<TAB>effective YYYYMMDD<TAB>deletion YYYYMMDD or *<TAB>modifier indicator<TAB>rationale``.
By default only pairs that involve a chest CT code (or G0297) are kept: the scrubber asks about no others,
and a full quarterly file is millions of rows.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from ctscrub.model import CHEST_CT_CODES
from ctscrub.refdata.importers.common import HCPCS_RE, ImportRefused, Parsed, quarter_end, read_text

RELEVANT = CHEST_CT_CODES | {"G0297"}
_DATE_RE = re.compile(r"^\d{8}$")
_NAME_RE = re.compile(r"v(\d\d)(\d)r(\d+)", re.I)


def _ymd(text: str, where: str) -> str:
    if not _DATE_RE.match(text):
        raise ImportRefused(f"{where}: date {text!r} is not YYYYMMDD")
    try:
        datetime.strptime(text, "%Y%m%d")
    except ValueError:
        raise ImportRefused(f"{where}: {text!r} is not a calendar date") from None
    return text


def quarter_of_version(name: str) -> date | None:
    """NCCI numbers its quarterly releases vYY.Q: v31.0 is January 2025, v32.2 July 2026 (year = 1994 + YY)."""
    m = _NAME_RE.search(name)
    if not m:
        return None
    return date(1994 + int(m.group(1)), 1 + 3 * int(m.group(2)), 1) if int(m.group(2)) <= 3 else None


def parse(path: Path, all_codes: bool = False) -> Parsed:
    lines = read_text(path).splitlines()
    head = " ".join(lines[:8]).upper()
    if "\t" not in "".join(lines[:8]) or "COLUMN 1" not in head or "COLUMN 2" not in head or "MODIFIER" not in head:
        raise ImportRefused("the first lines are not the tab-delimited NCCI PTP header (Column 1, Column 2, Modifier)")
    out: list[str] = []
    started = False
    for n, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split("\t")]
        if not started:
            # header lines until the first row that starts with a code
            if HCPCS_RE.match(cells[0].upper()) and len(cells) > 1 and HCPCS_RE.match(cells[1].upper()):
                started = True
            else:
                continue
        if not any(cells):
            continue
        where = f"line {n}"
        if len(cells) < 6:
            raise ImportRefused(f"{where} has {len(cells)} tab-separated fields, expected 6 or 7")
        c1, c2 = cells[0].upper(), cells[1].upper()
        if not HCPCS_RE.match(c1) or not HCPCS_RE.match(c2):
            raise ImportRefused(f"{where}: {c1!r} / {c2!r} are not HCPCS codes")
        eff = _ymd(cells[3], where)
        dele = cells[4] if cells[4] == "*" else _ymd(cells[4], where)
        if cells[5] not in ("0", "1", "9"):
            raise ImportRefused(f"{where}: modifier indicator {cells[5]!r} is not 0, 1 or 9")
        rationale = " ".join(cells[6].split()) if len(cells) > 6 else ""
        if all_codes or c1 in RELEVANT or c2 in RELEVANT:
            out.append("\t".join([c1, c2, eff, dele, cells[5], rationale]))
    if not started:
        raise ImportRefused("no edit rows found after the header")
    if not out:
        raise ImportRefused("the file has no pair edits involving a chest CT code; "
                            "import the file of the quarter's set that holds them")
    start = quarter_of_version(path.name)
    return Parsed(rows=out, version=path.stem.replace("ccipra-", "")[:64] or "ptp", effective_from=start,
                  effective_to=quarter_end(start) if start else None, title="CMS NCCI practitioner PTP",
                  meta={"filter": "all codes" if all_codes else "pairs involving chest CT codes and G0297"})
