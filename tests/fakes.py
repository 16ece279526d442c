"""A reference-data stand-in with the same interface as ``ctscrub.refdata.ReferenceData``.

Rule unit tests use it to state exactly the reference facts a test depends on; end-to-end tests use
the real bundled data.
"""

from __future__ import annotations

from datetime import date

from ctscrub.refdata.types import MueLimit, PtpEdit


class FakeReferenceData:
    def __init__(self, icd10: set[str] | None = None, ptp: list[PtpEdit] | None = None,
                 mue: dict[str, MueLimit] | None = None, icd10_from: date = date(2025, 10, 1)) -> None:
        self._icd10 = icd10 if icd10 is not None else {"R911", "R918", "R0781", "R051", "C3411", "J189",
                                                       "Z87891", "F17210", "Z122", "Z0000", "I2699", "R042"}
        self._icd10_from = icd10_from
        self._ptp = {(e.column1, e.column2): e for e in (ptp or [])}
        self._mue = mue or {}
        self._missing: set[str] = set()

    def missing_notes(self) -> set[str]:
        return set(self._missing)

    def icd10_billable(self, code: str, dos: date | None) -> bool | None:
        if dos is not None and dos < self._icd10_from:
            self._missing.add(f"No ICD-10-CM code set is loaded for dates of service before {self._icd10_from}.")
            return None
        return code in self._icd10

    def icd10_dataset(self, dos: date | None) -> str | None:
        return "fake ICD-10-CM"

    def ptp_edit(self, column1: str, column2: str, dos: date | None) -> PtpEdit | None:
        return self._ptp.get((column1, column2))

    def mue(self, code: str, dos: date | None) -> MueLimit | None:
        return self._mue.get(code)
