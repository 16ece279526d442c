"""Pydantic models of the JSON v1 input; ``schemas/claims-v1.schema.json`` is generated from them.

Field descriptions are the schema's documentation for billing staff and integrators, so they say what
a value means and how it is written. Unknown keys are refused (``extra="forbid"``) so a misspelt key is
reported instead of silently ignored. The models only validate shape and ranges; the rules judge codes.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

FORMAT_NAME = "ctscrub-claims"
SCHEMA_ID = "https://ctscrub.example/schemas/claims-v1.schema.json"


def _iso_date(value: Any) -> Any:
    """Accept only ``YYYY-MM-DD`` text (pydantic would also take timestamps and datetimes)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a YYYY-MM-DD date as text")
    s = value.strip()
    if len(s) != 10 or s[4] != "-" or s[7] != "-" or not (s[:4] + s[5:7] + s[8:]).isdigit():
        raise ValueError("expected a YYYY-MM-DD date")
    try:
        return date(int(s[:4]), int(s[5:7]), int(s[8:]))
    except ValueError:
        raise ValueError("expected a YYYY-MM-DD date that exists on the calendar") from None


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Npi = Annotated[str, Field(max_length=20, description="National Provider Identifier, 10 digits.",
                           examples=["1234567893"])]
ShortText = Annotated[str, Field(max_length=200)]
# Pinned schema: pydantic versions differ in how they describe Decimal (some add a string pattern).
Money = Annotated[Decimal, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1_000_000})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DocumentationIn(_Strict):
    """What the medical record shows for the line. Include a key only when your system tracks that item:
    each documentation check runs only for the keys present."""

    contrast: Literal["none", "iv", "oral"] | None = Field(
        None, description="Contrast given for the study: none, iv (intravascular) or oral.")
    order_signed: bool | None = Field(None, description="The record holds a signed order from the treating "
                                                        "physician or practitioner.")
    indication: Annotated[str, Field(max_length=2000)] | None = Field(
        None, description="The reason for the study as written in the order (free text).")
    report_signed: bool | None = Field(None, description="The interpretation report is signed.")
    rendering_credentials: ShortText | None = Field(
        None, description="Credentials of the interpreting physician as signed on the report, e.g. 'MD'.")
    history: Annotated[str, Field(max_length=2000)] | None = Field(
        None, description="Relevant history (for screening: smoking history, pack-years; free text).")


class LineIn(_Strict):
    """One service line (one procedure code on one date)."""

    line: int | None = Field(None, ge=1, le=9999, description="Service line number within the claim. "
                                                              "Default: position in `lines` (1-based).")
    procedure_code: Annotated[str, Field(min_length=1, max_length=10)] = Field(
        description="CPT or HCPCS code, e.g. 71250. Upper-cased on reading.", examples=["71250"])
    modifiers: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=list, max_length=4, description="Up to 4 modifiers in billing order, e.g. [\"26\"].")
    units: int = Field(1, ge=1, le=999, description="Units of service, a whole number from 1 to 999.")
    charge: Money | None = Field(None, ge=0, le=1_000_000, decimal_places=2,
                                 description="Billed charge in US dollars, e.g. 412.50 (a number, not text).")
    service_date: IsoDate | None = Field(None, description="Date of service, YYYY-MM-DD.")
    place_of_service: ShortText | None = Field(
        None, description="CMS place-of-service code (2 digits) when it differs from the claim's.")
    diagnosis_codes: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=list, max_length=12,
        description="ICD-10-CM codes for this line, principal first, with or without the dot (R91.1 or R911).")
    ordering_npi: Npi | None = Field(None, description="NPI of the ordering provider (overrides the claim's).")
    rendering_npi: Npi | None = Field(None, description="NPI of the rendering provider (overrides the claim's).")
    documentation: DocumentationIn | None = Field(None, description="Documentation checklist for this line.")


class ClaimIn(_Strict):
    """One claim: the patient, the payer and its service lines. Patient fields are used in memory only
    (age, same-patient checks) and never appear in findings or stored results."""

    claim_id: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="Your identifier of the claim (patient account number or claim number).")
    payer: Literal["medicare", "commercial"] = Field("medicare", description="Whose rules apply.")
    member_id: ShortText | None = Field(None, description="Member id (Medicare MBI for Medicare).")
    patient_last_name: ShortText | None = Field(None, description="Beneficiary last name as on the record.")
    patient_first_name: ShortText | None = Field(None, description="Beneficiary first name.")
    birth_date: IsoDate | None = Field(None, description="Beneficiary birth date, YYYY-MM-DD.")
    billing_npi: Npi | None = Field(None, description="NPI of the billing provider.")
    ordering_npi: Npi | None = Field(None, description="NPI of the ordering provider for every line "
                                                       "(a line's ordering_npi overrides it).")
    rendering_npi: Npi | None = Field(None, description="NPI of the rendering provider for every line.")
    place_of_service: ShortText | None = Field(None, description="CMS place-of-service code, 2 digits, e.g. "
                                                                 "\"11\" (office) or \"22\" (outpatient hospital).")
    locality: Annotated[str, Field(pattern=r"^\d{5}-\d{2}$")] | None = Field(
        None, description="Medicare MAC-locality for fee schedule amounts, e.g. 13202-01. Absent: national.")
    diagnosis_codes: list[Annotated[str, Field(max_length=10)]] = Field(
        default_factory=list, max_length=12,
        description="Claim-level ICD-10-CM codes, principal first; lines without codes of their own use them.")
    lines: list[LineIn] = Field(min_length=1, max_length=999, description="The service lines.")


class ClaimsDocument(_Strict):
    """A JSON v1 claim file. (JSON Lines form: one ClaimIn object per line, no envelope.)"""

    model_config = ConfigDict(title="ctscrub claims v1", json_schema_extra={"$id": SCHEMA_ID})

    format: Literal["ctscrub-claims"] = Field(description="Always \"ctscrub-claims\".")
    version: Literal[1] = Field(description="Format version, 1.")
    claims: list[ClaimIn] = Field(description="The claims of the upload.")


def schema_json() -> str:
    """The JSON Schema text committed as ``schemas/claims-v1.schema.json`` (stable key order, final newline)."""
    schema = ClaimsDocument.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
