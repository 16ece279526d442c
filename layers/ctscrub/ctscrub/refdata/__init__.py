"""Reference data: versioned, date-effective CMS datasets (bundled and imported) behind one lookup object.

``load_reference_data()`` reads the datasets bundled in ``ctscrub/refdata/data/`` plus any imported into
the directory named by ``CTSCRUB_REFDATA_DIR``. Parsed tables are cached per process (Lambda cold start);
every call returns a fresh ``ReferenceData`` whose ``missing_notes()`` start empty, so notes of one upload
never leak into the next. The dataset in force for a date of service is the one whose effective period
covers it; among several, the latest effective date, then the latest import, wins.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from ctscrub.refdata import tables
from ctscrub.refdata.store import Dataset, Manifest, read_dir
from ctscrub.refdata.types import MueLimit, PtpEdit

BUNDLED_DIR: Final = Path(__file__).resolve().parent / "data"
ENV_DIR: Final = "CTSCRUB_REFDATA_DIR"

# Rules ask the same (codes, date of service) questions for most lines of an upload: answers are memoized
# per upload view, by the date's ``version_key`` (a file spans many dates but few reference versions). The
# tables do not change during an upload; the bound keeps a hostile file's memory flat.
_MEMO_LIMIT = 1 << 16
# longest code a memo keeps (real codes have 5 to 8 characters): a hostile file's long values are not kept
_KEPT_CODE: Final = 16
_MISS: Final[Any] = object()


def _remember(memo: dict[Any, Any], key: object, value: object) -> None:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value


def _fy(dos: date) -> int:
    return dos.year + 1 if dos.month >= 10 else dos.year


@dataclass
class _Loaded:
    """What a process loads once: datasets by kind (oldest first) and their parsed tables."""

    by_kind: dict[str, list[Dataset]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _tables: dict[int, Any] = field(default_factory=dict)

    def table(self, ds: Dataset) -> Any:
        t = self._tables.get(id(ds))
        if t is None:
            t = self._tables[id(ds)] = tables.TABLE_TYPES[ds.manifest.kind](ds)
        return t


class ReferenceData:
    def __init__(self, loaded: _Loaded) -> None:
        self._loaded = loaded
        self._notes: set[str] = set()
        self._in_force: dict[tuple[str, date], Dataset | None] = {}
        # per-upload memo for pricing (settings by date and locality, line prices by signature)
        self.pricing_cache: dict[object, Any] = {}
        self.quote_cache: dict[object, Any] = {}  # payment.fee_schedule_quote answers, bounded by payment
        # answers by (codes, version_key(dos))
        self._icd10_memo: dict[tuple[str, int | None], bool | None] = {}
        self._ptp_memo: dict[tuple[str, str, int | None], PtpEdit | None] = {}
        self._mue_memo: dict[tuple[str, int | None], MueLimit | None] = {}
        self._version_keys: dict[date, int] = {}
        self._versions: dict[tuple[object, ...], int] = {}

    def version_key(self, dos: date | None) -> int | None:
        """A small number naming every reference answer for ``dos``: equal for two dates with the same year
        and fiscal year (notes and amounts name them), the same datasets in force and the same bundled
        policy table versions in force.

        Such dates get the same answer to every date-dependent question the rules and pricing ask (for a
        CMS PTP set, that takes the same period of its rows' own effective and deletion dates), so
        answers can be memoized per key instead of per date (a file spans many dates but few keys). None
        for a line without a date of service. Numbers are comparable within this upload view only.
        """
        if dos is None:
            return None
        key = self._version_keys.get(dos)
        if key is None:
            from ctscrub.refdata.policy import POLICY_NAMES, policy_for

            by_kind = self._loaded.by_kind
            versions = (dos.year, _fy(dos),
                        *(id(self.dataset_in_force(kind, dos)) for kind in sorted(by_kind) if kind != "ncci-ptp"),
                        # each PTP set in force, and the period of its rows' own dates ``dos`` is in
                        *((id(ds), self._loaded.table(ds).period(dos))
                          for ds in by_kind.get("ncci-ptp", ()) if ds.manifest.covers(dos)),
                        *(id(policy_for(name, dos)) for name in POLICY_NAMES))
            key = self._versions.get(versions)
            if key is None:  # one per distinct year and set of versions: bounded by the file's years
                key = self._versions[versions] = len(self._versions)
            _remember(self._version_keys, dos, key)
        return key

    # ----- datasets -----
    @property
    def problems(self) -> list[str]:
        """Dataset files that could not be read (they are ignored; ``refdata status`` shows them)."""
        return list(self._loaded.problems)

    def manifests(self, kind: str | None = None) -> list[Manifest]:
        return [ds.manifest for k, lst in sorted(self._loaded.by_kind.items()) if kind in (None, k) for ds in lst]

    def dataset_in_force(self, kind: str, dos: date | None) -> Dataset | None:
        """The dataset of ``kind`` for ``dos``; the most recent one when ``dos`` is None."""
        lst = self._loaded.by_kind.get(kind, [])
        if dos is None:
            return lst[-1] if lst else None
        key = (kind, dos)
        hit = self._in_force.get(key, _MISS)
        if hit is _MISS:
            hit = next((ds for ds in reversed(lst) if ds.manifest.covers(dos)), None)
            _remember(self._in_force, key, hit)  # bounded: a hostile file can carry millions of dates
        return hit  # type: ignore[no-any-return]

    def table(self, kind: str, dos: date | None) -> Any:
        ds = self.dataset_in_force(kind, dos)
        return self._loaded.table(ds) if ds is not None else None

    def tables_covering(self, kind: str, dos: date) -> list[Any]:
        return [self._loaded.table(ds) for ds in reversed(self._loaded.by_kind.get(kind, []))
                if ds.manifest.covers(dos)]

    def for_upload(self) -> ReferenceData:
        """The same data with empty missing-data notes (one view per upload)."""
        return ReferenceData(self._loaded)

    # ----- missing data -----
    def note_missing(self, note: str) -> None:
        self._notes.add(note)

    def missing_notes(self) -> set[str]:
        return set(self._notes)

    # ----- diagnosis codes -----
    def icd10_billable(self, code: str, dos: date | None) -> bool | None:
        key = (code, self.version_key(dos))
        hit = self._icd10_memo.get(key, _MISS)
        if hit is _MISS:  # a None answer has already noted the missing code set, so it can be reused
            hit = self._icd10_billable(code, dos)
            if len(code) <= _KEPT_CODE:
                _remember(self._icd10_memo, key, hit)
        return hit  # type: ignore[no-any-return]

    def _icd10_billable(self, code: str, dos: date | None) -> bool | None:
        cs: tables.CodeSet | None = self.table("icd10cm", dos)
        if cs is None:
            if dos is not None:
                fy = _fy(dos)
                self.note_missing(
                    f"No ICD-10-CM code set covers dates of service in FY{fy} ({date(fy - 1, 10, 1)} to "
                    f"{date(fy, 9, 30)}); diagnosis codes on those lines were not validated.")
            return None
        return code.replace(".", "").upper() in cs

    def icd10_dataset(self, dos: date | None) -> str | None:
        ds = self.dataset_in_force("icd10cm", dos)
        return ds.manifest.label if ds is not None else None

    # ----- code pairs and unit limits -----
    def ptp_edit(self, column1: str, column2: str, dos: date | None) -> PtpEdit | None:
        """An imported CMS PTP set covering ``dos`` decides; without one, the policy-derived default edits.

        A CMS set decides for a column-1 code it lists: a pair it does not hold is not an edit. Codes a
        loaded set does not list as column 1 (e.g. only one of CMS's four files was imported) fall back
        to the default edits.
        """
        key = (column1, column2, self.version_key(dos))
        hit = self._ptp_memo.get(key, _MISS)
        if hit is _MISS:
            hit = self._ptp_edit(column1, column2, dos)
            if len(column1) <= _KEPT_CODE and len(column2) <= _KEPT_CODE:
                _remember(self._ptp_memo, key, hit)
        return hit  # type: ignore[no-any-return]

    def _ptp_edit(self, column1: str, column2: str, dos: date | None) -> PtpEdit | None:
        cms: list[tables.PtpTable] = self.tables_covering("ncci-ptp", dos) if dos is not None else []
        for t in cms:
            row = t.active(column1, column2, dos)  # type: ignore[arg-type]
            if row is not None:
                return PtpEdit(column1, column2, row.modifier_indicator, row.rationale, t.label)
        if any(column1 in t.column1_codes for t in cms):
            return None
        return _default_ptp(column1, column2, dos)

    def mue(self, code: str, dos: date | None) -> MueLimit | None:
        """The imported CMS MUE set covering ``dos``; without one, the policy-derived default limits."""
        key = (code, self.version_key(dos))
        hit = self._mue_memo.get(key, _MISS)
        if hit is _MISS:
            hit = self._mue(code, dos)
            if len(code) <= _KEPT_CODE:
                _remember(self._mue_memo, key, hit)
        return hit  # type: ignore[no-any-return]

    def _mue(self, code: str, dos: date | None) -> MueLimit | None:
        t: tables.MueTable | None = self.table("mue", dos) if dos is not None else None
        if t is not None:
            hit = t.get(code)
            return MueLimit(code, hit[0], hit[1], hit[2], t.label) if hit else None
        return _default_mue(code, dos)

    # ----- payment -----
    def fee_schedule(self, dos: date) -> tables.FeeSchedule | None:
        return self.table("pfs", dos)  # type: ignore[no-any-return]

    def gpci(self, dos: date) -> tables.GpciTable | None:
        return self.table("gpci", dos)  # type: ignore[no-any-return]

    def opps_cap(self, dos: date) -> tables.OppsCapTable | None:
        return self.table("oppscap", dos)  # type: ignore[no-any-return]


def _policy(name: str, dos: date | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    from ctscrub.refdata.policy import load_policy, policy_for

    try:
        version = policy_for(name, dos)
        return (load_policy(name), version) if version is not None else None
    except (FileNotFoundError, KeyError, ValueError):  # the default table is optional
        return None


def _default_ptp(column1: str, column2: str, dos: date | None) -> PtpEdit | None:
    hit = _policy("ptp_default", dos)
    if hit is None:
        return None
    doc, version = hit
    for e in version.get("edits", ()):
        if e["column1"] == column1 and e["column2"] == column2:
            return PtpEdit(column1, column2, e.get("modifier_indicator"), e.get("rationale", ""), doc["dataset"])
    return None


def _default_mue(code: str, dos: date | None) -> MueLimit | None:
    hit = _policy("mue_default", dos)
    if hit is None:
        return None
    doc, version = hit
    for lim in version.get("limits", ()):
        if lim["code"] == code:
            return MueLimit(code, int(lim["units"]), lim.get("adjudication"), lim.get("rationale", ""),
                            doc["dataset"])
    return None


def _dirs(extra: Path | None) -> list[Path]:
    dirs = [BUNDLED_DIR]
    env = os.environ.get(ENV_DIR)
    for d in (Path(env) if env else None, extra):
        if d is not None and d.resolve() not in {x.resolve() for x in dirs}:
            dirs.append(d)
    return dirs


def _signature(dirs: list[Path]) -> tuple[object, ...]:
    sig: list[object] = []
    for d in dirs:
        if d.is_dir():
            sig.extend((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(d.glob("*.json")))
    return tuple(sig)


_CACHE: Final[dict[tuple[object, ...], _Loaded]] = {}


def load_all(dirs: list[Path]) -> _Loaded:
    """Read every dataset in ``dirs``; a later directory's dataset replaces an earlier one of the same version."""
    chosen: dict[tuple[str, str], Dataset] = {}
    problems: list[str] = []
    for d in dirs:
        found, bad = read_dir(d)
        problems.extend(f"{d}: {b}" for b in bad)
        for ds in found:
            chosen[(ds.manifest.kind, ds.manifest.version)] = ds
    by_kind: dict[str, list[Dataset]] = {}
    for ds in sorted(chosen.values(), key=lambda x: (x.manifest.effective_from, x.manifest.imported_at)):
        by_kind.setdefault(ds.manifest.kind, []).append(ds)
    return _Loaded(by_kind, problems)


def load_reference_data(extra_dir: Path | None = None) -> ReferenceData:
    """Bundled datasets plus those in ``$CTSCRUB_REFDATA_DIR`` (and ``extra_dir``); cached per process."""
    dirs = _dirs(extra_dir)
    sig = _signature(dirs)
    loaded = _CACHE.get(sig)
    if loaded is None:
        _CACHE.clear()
        loaded = _CACHE[sig] = load_all(dirs)
    return ReferenceData(loaded)


_settled = False  # settle_process has frozen the process's objects


def settle_process(refdata: ReferenceData) -> None:
    """Process setup before the first upload: parse every table of ``refdata`` and read every policy table
    (all kept for the life of the process), then, once per process, move every object alive at this point
    out of the garbage collector's reach (``gc.freeze``) and make its young generation larger
    (``GC_YOUNG_THRESHOLD``).

    Full collections during an upload otherwise traverse every module, function and reference table again.
    Call it only where nothing of an upload exists yet (Lambda init, CLI start): an upload's objects must
    never be frozen, as a warm container runs many uploads and frozen cycles are never freed. Tables and
    policies hold no patient data.
    """
    global _settled
    from ctscrub.refdata.policy import POLICY_NAMES, load_policy

    for datasets in refdata._loaded.by_kind.values():
        for ds in datasets:
            try:
                refdata._loaded.table(ds)
            except Exception:  # noqa: S112  (an optimization must not change where a bad table fails)
                continue  # left unparsed: the upload that uses it meets the same error as without this call
    for name in POLICY_NAMES:
        load_policy(name)
    if not _settled:
        _settled = True
        gc.collect()  # what is garbage now must not be frozen
        gc.freeze()
        young, *older = gc.get_threshold()
        if 0 < young < GC_YOUNG_THRESHOLD:  # 0: collection disabled by the embedding program, left so
            gc.set_threshold(GC_YOUNG_THRESHOLD, *older)


GC_YOUNG_THRESHOLD: Final = 20_000
"""The young-generation threshold ``settle_process`` sets (CPython's default is 2,000).

An upload frees nearly everything it allocates as it goes; what makes the collector run is what it keeps:
the same-patient index and the screening history. With the default, every collection of a 100,000-claim
837P traverses those long-lived lines and tuples scattered in memory: 33 collections, 3% of the file's CPU
time (measured with ``gc.callbacks``, 2026-11-28). With 20,000 they are 3 and 0.4%. Only objects in
reference cycles wait longer to be freed (the pipeline makes few: an exception's traceback); the bound is
20,000 container objects (peak RSS of both benchmarks did not move).
"""


__all__ = ["BUNDLED_DIR", "ENV_DIR", "ReferenceData", "load_reference_data", "settle_process"]
