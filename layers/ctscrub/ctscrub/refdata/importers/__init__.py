"""Importers for CMS's own reference files, one module per kind, and ``import_file`` that stores the result.

An import is all or nothing: the file is parsed and validated completely before the dataset is written,
and it is written to a temporary file renamed into place, so a refused file leaves the data untouched.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from ctscrub.model import CHEST_CT_CODES
from ctscrub.refdata.importers import gpci, icd10cm, mue, ncci_ptp, oppscap, pfs
from ctscrub.refdata.importers.common import ImportRefused, Parsed, quarter_end
from ctscrub.refdata.store import Dataset, DatasetError, Manifest, write_dataset

CHEST_CT_FAMILY = frozenset(CHEST_CT_CODES | {"G0296", "G0297"})


def _parse(kind: str, path: Path, chest_ct_only: bool) -> Parsed:
    only = CHEST_CT_FAMILY if chest_ct_only else None
    if kind == "pfs":
        return pfs.parse(path, only)
    if kind == "gpci":
        return gpci.parse(path)
    if kind == "oppscap":
        return oppscap.parse(path, only)
    if kind == "mue":
        return mue.parse(path)
    if kind == "icd10cm":
        return icd10cm.parse(path)
    raise ImportRefused(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")


KINDS = ("pfs", "gpci", "oppscap", "ncci-ptp", "mue", "icd10cm")


def _default_end(kind: str, start: date, parsed_end: date | None) -> date:
    """The file's own end date if it is after ``start``, else the end of the kind's natural period.

    Never open-ended: a dataset must not silently cover a year or quarter CMS has not published.
    """
    if parsed_end is not None and parsed_end >= start:
        return parsed_end
    if kind in ("ncci-ptp", "mue"):
        return quarter_end(start)
    if kind == "icd10cm":
        return date(start.year + (1 if start.month >= 10 else 0), 9, 30)
    return date(start.year, 12, 31)


def parse_file(kind: str, path: Path, *, chest_ct_only: bool = False, all_codes: bool = False) -> Parsed:
    """Parse and validate ``path`` as ``kind``; raises ``ImportRefused`` with the reason."""
    if not path.is_file():
        raise ImportRefused(f"{path}: no such file")
    if kind == "ncci-ptp":  # always filtered to chest CT pairs unless all_codes
        return ncci_ptp.parse(path, all_codes=all_codes)
    return _parse(kind, path, chest_ct_only)


def import_file(kind: str, path: Path, directory: Path, *, effective_from: date | None = None,
                effective_to: date | None = None, version: str | None = None, chest_ct_only: bool = False,
                all_codes: bool = False, now: datetime | None = None) -> Dataset:
    """Import one CMS file into ``directory`` as a versioned dataset; returns what was written."""
    parsed = parse_file(kind, path, chest_ct_only=chest_ct_only, all_codes=all_codes)
    start = effective_from or parsed.effective_from
    if start is None:
        raise ImportRefused(f"the effective date cannot be read from {path.name}: give --effective-from")
    end = effective_to or _default_end(kind, start, parsed.effective_to)
    ver = version or parsed.version
    title = parsed.title
    if kind == "oppscap":  # the file does not name its year
        title = f"{title} {start.year}"
    elif kind in ("ncci-ptp", "mue"):  # quarterly sets
        title = f"{title} {start.year}Q{(start.month - 1) // 3 + 1}"
    if version and version != parsed.version:
        title = f"{title} {version}"
    meta = dict(parsed.meta)
    if chest_ct_only:
        meta["filter"] = "chest CT family only"
    manifest = Manifest(
        kind=kind, version=ver, effective_from=start, effective_to=end, source=path.name, rows=len(parsed.rows),
        imported_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        label=f"{title} ({path.name})",
    )
    ds = Dataset(manifest, "\n".join(parsed.rows), meta)
    try:
        ds.path = write_dataset(directory, ds)
    except DatasetError as exc:
        raise ImportRefused(str(exc)) from None
    return ds


__all__ = ["KINDS", "ImportRefused", "import_file", "parse_file"]
