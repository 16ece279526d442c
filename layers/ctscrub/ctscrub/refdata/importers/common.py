"""What every importer shares: the refusal error, the parse result, strict field checks."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

NUMBER_RE = re.compile(r"^\d{1,7}(\.\d{1,6})?$")
HCPCS_RE = re.compile(r"^[A-Z0-9]{5}$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{0,2}$")


class ImportRefused(ValueError):
    """The file is not what the importer expects; the message says why and where."""


@dataclass(slots=True)
class Parsed:
    """An importer's result: compact rows plus what the file itself says about its period and version."""

    rows: list[str]
    version: str
    effective_from: date | None
    effective_to: date | None
    title: str  # e.g. "CMS PFS 2025"; the label adds the source file name
    meta: dict[str, Any] = field(default_factory=dict)


def read_text(path: Path) -> str:
    """The file's text; CMS files are UTF-8 or Windows-1252, never binary."""
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportRefused("the file is empty")
    if b"\x00" in raw[:4096] or raw[:2] in (b"PK", b"\x1f\x8b"):
        raise ImportRefused("the file is binary or compressed; unzip the CMS download and import the CSV/TXT inside")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def number(text: str, what: str, where: str, *, empty_as_zero: bool = False) -> str:
    t = text.strip()
    if not t and empty_as_zero:
        return "0"
    if not NUMBER_RE.match(t):
        raise ImportRefused(f"{what} {t!r} at {where} is not a number")
    return t


def norm_header(text: str) -> str:
    return " ".join(text.replace("\n", " ").split()).upper()


def find_columns(header: list[str], wanted: dict[str, tuple[str, ...]], where: str) -> dict[str, int]:
    """Map each wanted field to its column by header name (any of the accepted spellings)."""
    names = [norm_header(h) for h in header]
    out: dict[str, int] = {}
    missing = []
    for key, options in wanted.items():
        idx = next((names.index(o) for o in options if o in names), None)
        if idx is None:
            missing.append(options[0])
        else:
            out[key] = idx
    if missing:
        raise ImportRefused(f"expected column(s) {', '.join(missing)} not found in the header at {where}")
    return out


def quarter_end(start: date) -> date:
    month = ((start.month - 1) // 3) * 3 + 3
    return date(start.year, month, calendar.monthrange(start.year, month)[1])


def version_from_name(path: Path) -> str:
    """A dataset version from the file name: letters, digits, '.', '_' and '-' only."""
    v = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-._")
    return (v or "import")[:64]
