"""Value types the reference data hands to rules and pricing."""

from __future__ import annotations

from dataclasses import dataclass


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
