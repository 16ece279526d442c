"""Generate the project's own 837P samples (samples/x12/*.txt): one per chest CT rule an 837 can carry.

Run from the repository root: ``python scripts/gen_x12_samples.py`` (``--check`` exits 1 when a file on
disk differs from what this script writes). Every patient in these files is fictitious. Dates of
service are in September 2026 (ICD-10-CM FY2026) unless the rule is about dates; check them with an as-of date of
2026-11-28 (the tests do) so the timely filing window does not move under them.

``SAMPLES`` maps each file to the rule ids it is written to raise; ``tests/test_x12_samples.py`` checks them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from x12_fixtures import (  # noqa: E402
    BAD_NPI,
    OTHER_NPI,
    ClaimSpec,
    Delims,
    Group,
    Interchange,
    Line,
    Subscriber,
    Transaction,
    build,
    render,
)

OUT = ROOT / "samples" / "x12"
AS_OF = "2026-11-28"  # the processing date the expectations assume


def _one(*lines: Line, **claim: object) -> bytes:
    return build(ClaimSpec(lines=list(lines), **claim))  # type: ignore[arg-type]


def _ldct(**line: object) -> Line:
    return Line(**{"code": "71271", "pointers": ("1", "2"), **line})  # type: ignore[arg-type]


def _ldct_twice() -> bytes:
    sub = Subscriber(claims=[ClaimSpec(claim_id="LDCT-JAN", lines=[_ldct(dos="20260105")], dx=("Z122", "Z87891")),
                             ClaimSpec(claim_id="LDCT-SEP", lines=[_ldct(dos="20260915")], dx=("Z122", "Z87891"))])
    return render(Interchange(groups=[Group(transactions=[Transaction(subscribers=[sub])])]))


def _envelope() -> bytes:
    return render(Interchange(groups=[Group(transactions=[Transaction(se_count="99")], ge_control="999")]))


def _not_chest_ct_only() -> bytes:
    return _one(Line(code="99213", charge="120.00"), Line(code="71046", charge="60.00"))


# file stem -> (rule ids it is written to raise, builder). "clean" raises none.
SAMPLES: dict[str, tuple[tuple[str, ...], Callable[[], bytes]]] = {
    "ct_clean": ((), lambda: _one(Line(charge="450.00"), dx=("R911",))),
    "ct_clean_other_delimiters": ((), lambda: build(
        ClaimSpec(lines=[Line(modifiers=("26",), charge="90.00", pos="22")], pos="22"),
        delims=Delims(element="|", component="^", segment="\n", after="", repetition="{"), bom=True)),
    "ct_code_deleted": (("CODE_DELETED",), lambda: _one(Line(code="G0297"), dx=("Z122", "Z87891"))),
    "ct_contrast_combined_required": (("CONTRAST_COMBINED_REQUIRED",), lambda: _one(
        Line(code="71250"), Line(code="71260"))),
    "ct_ptp_bundled": (("PTP_BUNDLED",), lambda: _one(Line(code="71275"), Line(code="71260"))),
    "ct_units_exceed_mue": (("UNITS_EXCEED_MUE",), lambda: _one(Line(units="3", charge="1200.00"))),
    "ct_duplicate_line": (("DUPLICATE_LINE",), lambda: _one(Line(), Line())),
    "ct_modifier_invalid": (("MODIFIER_INVALID",), lambda: _one(Line(modifiers=("FX",)))),
    "ct_modifier_conflict": (("MODIFIER_CONFLICT",), lambda: _one(Line(modifiers=("26", "TC")))),
    "ct_facility_requires_26": (("FACILITY_REQUIRES_26",), lambda: _one(Line(), pos="22")),
    "ct_repeat_without_original": (("REPEAT_WITHOUT_ORIGINAL",), lambda: _one(Line(modifiers=("76",)))),
    "ct_distinct_without_pair": (("DISTINCT_WITHOUT_PAIR",), lambda: _one(Line(modifiers=("59",)))),
    "ct_reduced_service": (("REDUCED_SERVICE",), lambda: _one(Line(modifiers=("52",)))),
    "ct_equipment_reduction": (("CT_EQUIPMENT_REDUCTION",), lambda: _one(Line(modifiers=("CT",)))),
    "ct_expected_denial_gz": (("EXPECTED_DENIAL_GZ",), lambda: _one(Line(modifiers=("GZ",)))),
    "ct_excluded_service_gy": (("EXCLUDED_SERVICE_GY",), lambda: _one(Line(modifiers=("GY",)))),
    "ct_pos_invalid": (("POS_INVALID",), lambda: _one(Line(), pos="98")),
    "ct_dx_missing": (("DX_MISSING",), lambda: _one(Line(pointers=None), dx=())),
    "ct_dx_invalid": (("DX_INVALID",), lambda: _one(Line(), dx=("R91",))),
    "ct_dx_invalid_icd9": (("DX_INVALID", "DX_NOT_SUPPORTING"), lambda: _one(Line(), dx=("7931",), icd9=True)),
    "ct_dx_not_supporting": (("DX_NOT_SUPPORTING",), lambda: _one(Line(), dx=("Z0000",))),
    "ct_screening_on_diagnostic_code": (("SCREENING_ON_DIAGNOSTIC_CODE",), lambda: _one(
        Line(pointers=("1", "2")), dx=("Z122", "Z87891"))),
    "ct_dx_pointer_invalid": (("DX_POINTER_INVALID",), lambda: _one(Line(pointers=("1", "5")), dx=("R911", "J189"))),
    "ct_ldct_age": (("LDCT_AGE",), lambda: build(ClaimSpec(lines=[_ldct()], dx=("Z122", "Z87891")), dob="19400101")),
    "ct_ldct_smoking_dx": (("LDCT_SMOKING_DX",), lambda: _one(_ldct(pointers=("1",)), dx=("Z122",))),
    "ct_ldct_symptomatic": (("LDCT_SYMPTOMATIC",), lambda: _one(
        Line(code="71271", pointers=("1", "2", "3")), dx=("Z122", "Z87891", "R042"))),
    "ct_ldct_frequency": (("LDCT_FREQUENCY",), _ldct_twice),
    "ct_ordering_provider_missing": (("ORDERING_PROVIDER_MISSING",), lambda: _one(Line(), ordering_dn_npi=None)),
    "ct_npi_invalid": (("NPI_INVALID",), lambda: _one(Line(ordering_dk_npi=BAD_NPI))),
    "ct_doc_beneficiary_name": (("DOC_BENEFICIARY_NAME",), lambda: build(ClaimSpec(), last="")),
    "ct_doc_service_date": (("DOC_SERVICE_DATE",), lambda: _one(Line(dos=None))),
    "ct_dos_future": (("DOS_FUTURE", "REFDATA_MISSING"), lambda: _one(Line(dos="20991001"))),
    "ct_timely_filing": (("TIMELY_FILING", "REFDATA_MISSING"), lambda: _one(Line(dos="20250805"))),
    "ct_charge_below_allowed": (("CHARGE_BELOW_ALLOWED",), lambda: _one(Line(charge="1.00"))),
    "ct_charge_total_mismatch": (("CHARGE_TOTAL_MISMATCH",), lambda: _one(Line(), total="500.00")),
    "ct_claim_frequency_ref_missing": (("CLAIM_FREQUENCY_REF_MISSING",), lambda: _one(Line(), frequency="7")),
    "ct_replacement_with_ref_f8": ((), lambda: _one(Line(), frequency="7", ref_f8="ORIGINAL0001")),
    "ct_refdata_missing": (("REFDATA_MISSING", "TIMELY_FILING"), lambda: _one(Line(dos="20150302"))),
    "ct_x12_envelope": (("X12_ENVELOPE",), _envelope),
    "ct_x12_claim_malformed": (("X12_CLAIM_MALFORMED",), lambda: _one(Line(omit_sv1=True), Line(), total="400.00")),
    "ct_x12_component_separator_mismatch": (("X12_ENVELOPE",), lambda: build(
        ClaimSpec(lines=[Line(modifiers=("26",))]), delims=Delims(body_component=">"))),
    "ct_not_chest_ct": ((), _not_chest_ct_only),
    "ct_line_ordering_2420e": ((), lambda: _one(Line(ordering_dk_npi=OTHER_NPI), ordering_dn_npi=None)),
    "reject_837i": (("FILE_UNSUPPORTED_FORMAT",), lambda: build(
        ClaimSpec(lines=[Line(service_segment="SV2")]), version="005010X223A2")),
    "reject_837d_wrong_gs08": (("FILE_UNSUPPORTED_FORMAT",), lambda: _one(Line(service_segment="SV3"))),
    "reject_4010": (("FILE_UNSUPPORTED_FORMAT",), lambda: build(version="004010X098A1")),
    "reject_short_isa": (("FILE_MALFORMED",), lambda: b"ISA*00*          *00*~GS*HC~"),
}


def generate() -> dict[str, bytes]:
    return {f"{stem}.txt": make() for stem, (_rules, make) in SAMPLES.items()}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, data in generate().items():
        path = OUT / name
        if check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
    if check and stale:
        print("out of date:", ", ".join(stale))
        return 1
    print(f"{'checked' if check else 'wrote'} {len(SAMPLES)} samples in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
