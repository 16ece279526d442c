"""Small builders for claims in rule tests: only what a test sets differs from a clean claim."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ctscrub.model import Claim, Documentation, Payer, ServiceLine

GOOD_NPI = "1234567893"  # passes the NPI Luhn check (CMS example)
OTHER_NPI = "1245319599"


def line(number: int = 1, code: str = "71250", *modifiers: str, dos: date = date(2026, 3, 2),
         units: int | str = 1, charge: str | None = "400.00", pos: str | None = "11",
         dx: tuple[str, ...] = ("R911",), ordering_npi: str | None = GOOD_NPI, **doc: object) -> ServiceLine:
    return ServiceLine(
        number=number, procedure_code=code, modifiers=tuple(modifiers), units=Decimal(units),
        charge=Decimal(charge) if charge is not None else None, service_date=dos, place_of_service=pos,
        diagnosis_codes=dx, ordering_npi=ordering_npi, rendering_npi=GOOD_NPI,
        documentation=Documentation(**doc),  # type: ignore[arg-type]
    )


def claim(*lines: ServiceLine, claim_id: str = "C1", payer: Payer = Payer.MEDICARE,
          birth_date: date | None = date(1955, 6, 1), member_id: str | None = "1EG4TE5MK73",
          documented: frozenset[str] = frozenset(), **kw: object) -> Claim:
    c = Claim(claim_id=claim_id, lines=list(lines) or [line()], payer=payer, member_id=member_id,
              patient_last_name="TESTPATIENT", patient_first_name="ALEX", birth_date=birth_date,
              billing_npi=GOOD_NPI, place_of_service="11", documented=documented, **kw)  # type: ignore[arg-type]
    c.diagnosis_codes = tuple(dict.fromkeys(d for ln in c.lines for d in ln.diagnosis_codes))
    return c
