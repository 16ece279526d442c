"""Dataset files: one JSON file per imported reference dataset (manifest + compact rows).

A dataset file is ``{"manifest": {...}, "rows": "<text>", "meta": {...}}``. ``rows`` holds one record per
line in a kind-specific compact layout (codes and numbers only, never AMA descriptors) so loading is a
``json.loads`` plus a ``str.split``. ``effective_to`` is inclusive; ``None`` means open-ended.
Writes go to a temporary file that is renamed into place, so a failed import never leaves a partial file
and readers never see one.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

FORMAT_VERSION: Final = 1
KINDS: Final = ("pfs", "gpci", "oppscap", "ncci-ptp", "mue", "icd10cm")
_VERSION_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class DatasetError(ValueError):
    """A dataset file (or a dataset about to be written) is not valid."""


@dataclass(frozen=True, slots=True)
class Manifest:
    kind: str
    version: str
    effective_from: date
    effective_to: date | None  # inclusive; None = until replaced
    source: str  # the CMS file name it was imported from
    rows: int
    imported_at: str  # ISO timestamp (UTC)
    label: str  # how findings and prices name it, e.g. "CMS PFS 2025 (PPRRVU2025_Oct.csv)"
    format: int = FORMAT_VERSION

    def covers(self, dos: date) -> bool:
        return self.effective_from <= dos and (self.effective_to is None or dos <= self.effective_to)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["effective_from"] = self.effective_from.isoformat()
        d["effective_to"] = self.effective_to.isoformat() if self.effective_to else None
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Manifest:
        try:
            m = cls(
                kind=str(d["kind"]), version=str(d["version"]),
                effective_from=date.fromisoformat(d["effective_from"]),
                effective_to=date.fromisoformat(d["effective_to"]) if d.get("effective_to") else None,
                source=str(d["source"]), rows=int(d["rows"]), imported_at=str(d["imported_at"]),
                label=str(d["label"]), format=int(d.get("format", FORMAT_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"manifest is incomplete or malformed ({exc})") from None
        m.validate()
        return m

    def validate(self) -> None:
        if self.kind not in KINDS:
            raise DatasetError(f"unknown dataset kind {self.kind!r}")
        if not _VERSION_RE.match(self.version):
            raise DatasetError(f"version {self.version!r} must be 1-64 letters, digits, '.', '_' or '-'")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise DatasetError(f"effective period ends ({self.effective_to}) before it starts ({self.effective_from})")
        if self.rows < 1:
            raise DatasetError("the dataset has no rows")
        if self.format != FORMAT_VERSION:
            raise DatasetError(f"dataset format {self.format} is not supported (expected {FORMAT_VERSION})")


@dataclass(slots=True)
class Dataset:
    manifest: Manifest
    rows: str  # newline-joined compact records
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def lines(self) -> list[str]:
        return self.rows.split("\n") if self.rows else []


def file_name(kind: str, version: str) -> str:
    return f"{kind}-{version}.json"


def encode(ds: Dataset) -> str:
    return json.dumps({"manifest": ds.manifest.to_json(), "meta": ds.meta, "rows": ds.rows},
                      separators=(",", ":"), sort_keys=True)


def decode(text: str, path: Path | None = None) -> Dataset:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("rows"), str):
        raise DatasetError("not a ctscrub dataset (no manifest/rows)")
    manifest = Manifest.from_json(doc.get("manifest") or {})
    ds = Dataset(manifest, doc["rows"], dict(doc.get("meta") or {}), path)
    n = ds.rows.count("\n") + 1 if ds.rows else 0
    if n != manifest.rows:
        raise DatasetError(f"manifest says {manifest.rows} rows but the file holds {n}")
    return ds


def write_dataset(directory: Path, ds: Dataset) -> Path:
    """Validate and atomically write ``ds`` into ``directory``; returns the final path."""
    ds.manifest.validate()
    n = ds.rows.count("\n") + 1 if ds.rows else 0
    if n != ds.manifest.rows:
        raise DatasetError(f"manifest says {ds.manifest.rows} rows but {n} were produced")
    import tempfile  # only imports write; keep it off the cold-start path

    directory.mkdir(parents=True, exist_ok=True)
    final = directory / file_name(ds.manifest.kind, ds.manifest.version)
    fd, tmp = tempfile.mkstemp(prefix=".import-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(encode(ds))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the Lambda runtime user must read the layer's files
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def read_dir(directory: Path) -> tuple[list[Dataset], list[str]]:
    """Every valid dataset in ``directory`` and a problem note per file that could not be read."""
    out: list[Dataset] = []
    problems: list[str] = []
    if not directory.is_dir():
        return out, problems
    for path in sorted(directory.glob("*.json")):
        try:
            out.append(decode(path.read_text("utf-8"), path))
        except (OSError, UnicodeDecodeError, DatasetError) as exc:
            problems.append(f"{path.name}: {exc}")
    return out, problems
