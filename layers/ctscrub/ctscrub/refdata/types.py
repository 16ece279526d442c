"""Value types the reference data hands to rules and pricing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ctscrub.refdata.tables import GpciTable, OppsCapTable


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One NCCI procedure-to-procedure edit: ``column2`` is denied when billed with ``column1``."""

    column1: str
    column2: str
    modifier_indicator: str | None  # "0" never bypassed, "1" bypass with 59/X{EPSU}, "9" no effect; None unknown
    rationale: str
    dataset: str  # e.g. "CMS NCCI practitioner PTP v32.3 (2026Q1)" or "ctscrub policy-derived default edits"


@dataclass(frozen=True, slots=True)
class MueLimit:
    code: str
    units: int
    adjudication: int | None  # MAI 1 per line, 2 per day absolute, 3 per day (appealable); None unknown
    rationale: str
    dataset: str


class ReferenceLookups(Protocol):
    """What rules and pricing ask of the reference data: ``ReferenceData`` answers it all; a rule test's
    stand-in answers the first five, and pricing uses the others only where ``getattr`` finds them (the fee
    schedule, the caches keyed by ``version_key``).

    A Protocol rather than ``ReferenceData`` itself, so the stand-ins are accepted by a compiled build
    (``scripts/build_compiled.py``), which checks a parameter's class at run time but not a Protocol.
    """

    def icd10_billable(self, code: str, dos: date | None) -> bool | None: ...

    def icd10_dataset(self, dos: date | None) -> str | None: ...

    def ptp_edit(self, column1: str, column2: str, dos: date | None) -> PtpEdit | None: ...

    def mue(self, code: str, dos: date | None) -> MueLimit | None: ...

    def missing_notes(self) -> set[str]: ...

    def gpci(self, dos: date) -> GpciTable | None: ...

    def opps_cap(self, dos: date) -> OppsCapTable | None: ...

    def version_key(self, dos: date | None) -> int | None: ...
