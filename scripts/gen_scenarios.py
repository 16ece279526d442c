"""One-off generator for tests/scenarios (kept out of the repo; the files it writes are the deliverable)."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "scenarios"
sys.path.insert(0, str(ROOT / "tests"))
import x12_fixtures as X  # noqa: E402
from ctscrub.rules.catalog import RULES  # noqa: E402

ALL = sorted(RULES)  # must_not for a fully clean claim: no rule at all

OUT.mkdir(parents=True, exist_ok=True)
ORD, REND, BILL, BAD = "1245319599", "1234567893", "1234567893", "1234567890"

CLAIM_COLS = ["claim_id", "line", "member_id", "patient_last_name", "patient_first_name", "birth_date", "payer",
              "service_date", "place_of_service", "procedure_code", "modifiers", "units", "charge",
              "diagnosis_codes", "ordering_npi", "rendering_npi", "billing_npi", "locality"]
DOC_COLS = ["contrast", "order_signed", "indication", "report_signed", "rendering_credentials", "history"]

PATIENTS = {
    "A": dict(member_id="1EG4TE5MK73", patient_last_name="SAMPLE", patient_first_name="ALEX", birth_date="1956-04-12"),
    "B": dict(member_id="2GH5UF6NL84", patient_last_name="EXAMPLE", patient_first_name="JORDAN",
              birth_date="1949-11-30"),
    "C": dict(member_id="3JK6VG7PM95", patient_last_name="DEMO", patient_first_name="CASEY", birth_date="1961-02-08"),
}
DOC_OK = dict(contrast="", order_signed="yes", indication="Follow-up of lung nodule seen on prior imaging",
              report_signed="yes", rendering_credentials="MD", history="Former smoker; prior CT 2025-09")

scenarios: list[dict] = []


def row(claim_id: str, patient: str = "A", **kw: str) -> dict[str, str]:
    r = dict(claim_id=claim_id, line="", payer="medicare", service_date="2026-06-15", place_of_service="11",
             procedure_code="71250", modifiers="", units="1", charge="425.00", diagnosis_codes="R91.1",
             ordering_npi=ORD, rendering_npi=REND, billing_npi=BILL, locality="")
    r.update(PATIENTS[patient])
    r.update(kw)
    return r


def write_csv(name: str, rows: list[dict[str, str]], doc: bool = False, columns: list[str] | None = None) -> str:
    cols = columns or (CLAIM_COLS + (DOC_COLS if doc else []))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        if doc:
            r = {**DOC_OK, **r}
        w.writerow([r.get(c, "") for c in cols])
    (OUT / name).write_text(buf.getvalue(), encoding="utf-8")
    return name


def add(name: str, file: str, description: str, must: list[str], must_not: list[str], as_of: str = "2026-07-15",
        locality: str | None = None, severities: dict[str, str] | None = None, xfail: str | None = None) -> None:
    s: dict = {"name": name, "file": file, "as_of": as_of}
    if locality:
        s["locality"] = locality
    s["description"] = description
    s["must"] = must
    s["must_not"] = must_not
    if severities:
        s["severities"] = severities
    if xfail:
        s["xfail"] = xfail
    scenarios.append(s)


def csv_scenario(name: str, rows: list[dict[str, str]], description: str, must: list[str], must_not: list[str],
                 doc: bool = False, **kw: object) -> None:
    add(name, write_csv(name + ".csv", rows, doc=doc), description, must, must_not, **kw)  # type: ignore[arg-type]


UNUSED_CLEAN_NOT = ["CODE_DELETED", "CONTRAST_COMBINED_REQUIRED", "PTP_BUNDLED", "UNITS_EXCEED_MUE", "DUPLICATE_LINE",
             "MODIFIER_INVALID", "MODIFIER_CONFLICT", "FACILITY_REQUIRES_26", "POS_INVALID", "DX_MISSING",
             "DX_INVALID", "DX_NOT_SUPPORTING", "ORDERING_PROVIDER_MISSING", "NPI_INVALID", "DOS_FUTURE",
             "TIMELY_FILING", "CHARGE_BELOW_ALLOWED", "ROW_MALFORMED", "REFDATA_MISSING", "FILE_MALFORMED",
             "FILE_UNSUPPORTED_FORMAT", "DOC_BENEFICIARY_NAME", "DOC_SERVICE_DATE", "DOC_ORDER"]

# ---------------------------------------------------------------- clean baselines
csv_scenario("clean_office_71250", [row("CLN-1")],
             "Office global 71250 for a lung nodule (R91.1), valid NPIs, charge above the fee schedule: a clean "
             "claim raises nothing.", [], ALL)
csv_scenario("clean_71270_combined", [row("CLN-2", procedure_code="71270", charge="650.00", diagnosis_codes="C34.11")],
             "One 71270 (without then with contrast) for lung cancer: the correct combined code raises no "
             "contrast or pair edit.", [], ["CONTRAST_COMBINED_REQUIRED", "PTP_BUNDLED", "DX_NOT_SUPPORTING",
                                            "CONTRAST_MISMATCH"])
csv_scenario("clean_documented_71260", [row("CLN-3", procedure_code="71260", charge="600.00",
                                            diagnosis_codes="R07.81;R05.1", contrast="iv")],
             "71260 with every documentation column present and complete, contrast documented as iv: no "
             "documentation or contrast finding: nothing at all is raised.", [], ALL, doc=True)

# ---------------------------------------------------------------- coding
csv_scenario("code_deleted_g0297", [row("DEL-1", procedure_code="G0297", charge="310.00", diagnosis_codes="Z87.891")],
             "G0297 (old LDCT screening code) billed in 2026: deleted 2021-01-01, replaced by 71271.",
             ["CODE_DELETED"], ["LDCT_SMOKING_DX", "LDCT_AGE"], severities={"CODE_DELETED": "error"})
csv_scenario("code_current_71271", [row("DEL-2", procedure_code="71271", charge="310.00",
                                        diagnosis_codes="Z87.891;Z12.2")],
             "71271 screening for a 70-year-old former smoker (Z87.891): the current code, covered age, "
             "tobacco diagnosis present, no symptoms.", [],
             ["CODE_DELETED", "LDCT_AGE", "LDCT_SMOKING_DX", "LDCT_SYMPTOMATIC", "LDCT_FREQUENCY",
              "SCREENING_ON_DIAGNOSTIC_CODE", "PTP_BUNDLED"])
csv_scenario("contrast_split_same_claim", [row("CMB-1", line="1"),
                                           row("CMB-1", line="2", procedure_code="71260", charge="600.00")],
             "71250 and 71260 on one claim, same patient and date: one session without then with contrast is "
             "71270.", ["CONTRAST_COMBINED_REQUIRED"], ["DUPLICATE_LINE", "PTP_BUNDLED"],
             severities={"CONTRAST_COMBINED_REQUIRED": "error"})
csv_scenario("contrast_split_across_claims", [row("CMB-2"), row("CMB-3", procedure_code="71260", charge="600.00")],
             "71250 on one claim and 71260 on another claim of the same upload, same patient and date: still "
             "71270.", ["CONTRAST_COMBINED_REQUIRED"], ["DUPLICATE_LINE"])
csv_scenario("contrast_split_different_dates", [row("CMB-4"), row("CMB-5", procedure_code="71260", charge="600.00",
                                                                  service_date="2026-06-16")],
             "71250 one day and 71260 the next day for the same patient: separate studies, no combined code "
             "required.", [], ["CONTRAST_COMBINED_REQUIRED", "PTP_BUNDLED"])
csv_scenario("contrast_split_different_patients", [row("CMB-6", "A"), row("CMB-7", "B", procedure_code="71260",
                                                                           charge="600.00")],
             "71250 for one patient and 71260 for another on the same date: different patients never combine.",
             [], ["CONTRAST_COMBINED_REQUIRED", "DUPLICATE_LINE"])
csv_scenario("contrast_split_with_xs", [row("CMB-8", line="1"),
                                        row("CMB-8", line="2", procedure_code="71260", modifiers="XS",
                                            charge="600.00")],
             "71250 and 71260-XS the same date: a distinct-session modifier turns the combined-code edit into a "
             "warning (the record must show two sessions).", ["CONTRAST_COMBINED_REQUIRED"],
             ["DISTINCT_WITHOUT_PAIR"], severities={"CONTRAST_COMBINED_REQUIRED": "warning"})
csv_scenario("contrast_iv_on_71250", [row("CTR-1", contrast="iv")],
             "71250 (without contrast) with IV contrast documented: the code contradicts the record.",
             ["CONTRAST_MISMATCH"], ["CONTRAST_COMBINED_REQUIRED"], doc=True)
csv_scenario("contrast_none_on_71260", [row("CTR-2", procedure_code="71260", charge="600.00", contrast="none")],
             "71260 (with contrast) documented without contrast: the code contradicts the record.",
             ["CONTRAST_MISMATCH"], [], doc=True)
csv_scenario("contrast_oral_on_71270", [row("CTR-3", procedure_code="71270", charge="650.00", contrast="oral")],
             "71270 with only oral contrast documented: 'with contrast' means intravascular, oral alone does not "
             "count.", ["CONTRAST_MISMATCH"], [], doc=True)
csv_scenario("contrast_none_on_71250", [row("CTR-4", contrast="none")],
             "71250 documented without contrast: code and record agree.", [], ["CONTRAST_MISMATCH"], doc=True)
csv_scenario("ptp_ldct_with_diagnostic", [row("PTP-1", line="1"),
                                          row("PTP-1", line="2", procedure_code="71271", charge="310.00",
                                              diagnosis_codes="Z87.891")],
             "71271 screening with 71250 the same date: CPT says not to report 71271 with a diagnostic chest CT.",
             ["PTP_BUNDLED"], ["CONTRAST_COMBINED_REQUIRED"], severities={"PTP_BUNDLED": "error"})
csv_scenario("ptp_cta_with_contrast_ct", [row("PTP-2", line="1", procedure_code="71275", charge="700.00",
                                              diagnosis_codes="I26.99"),
                                          row("PTP-2", line="2", procedure_code="71260", charge="600.00",
                                              diagnosis_codes="I26.99")],
             "71275 (CT angiography) with 71260 the same date: the CTA includes the contrast CT of the same area.",
             ["PTP_BUNDLED"], ["CONTRAST_COMBINED_REQUIRED"])
csv_scenario("ptp_cta_with_xe", [row("PTP-3", line="1", procedure_code="71275", charge="700.00",
                                     diagnosis_codes="I26.99"),
                                 row("PTP-3", line="2", procedure_code="71250", modifiers="XE")],
             "71275 with 71250-XE the same date under the default edits (modifier indicator unknown): the bypass "
             "is only a warning to confirm against the CMS file.", ["PTP_BUNDLED"], ["DISTINCT_WITHOUT_PAIR"],
             severities={"PTP_BUNDLED": "warning"})
csv_scenario("ptp_cta_different_dates", [row("PTP-4", line="1", procedure_code="71275", charge="700.00",
                                             diagnosis_codes="I26.99"),
                                         row("PTP-4", line="2", procedure_code="71260", charge="600.00",
                                             service_date="2026-06-20", diagnosis_codes="I26.99")],
             "71275 and 71260 on different dates: pair edits apply to the same date only.", [], ["PTP_BUNDLED"])
csv_scenario("units_two_on_one_line", [row("MUE-1", units="2")],
             "71250 with 2 units on one line: one unit per study, a same-day repeat goes on its own line.",
             ["UNITS_EXCEED_MUE"], ["DUPLICATE_LINE"])
csv_scenario("duplicate_line_same_claim", [row("DUP-1", line="1"), row("DUP-1", line="2")],
             "71250 twice on one claim, same date, no modifiers: an exact duplicate is denied.",
             ["DUPLICATE_LINE"], ["UNITS_EXCEED_MUE", "REPEAT_WITHOUT_ORIGINAL"])
csv_scenario("duplicate_line_across_claims", [row("DUP-2"), row("DUP-3")],
             "The same 71250 for the same patient and date on two claims of one upload: duplicate.",
             ["DUPLICATE_LINE"], [])
csv_scenario("repeat_marked_76", [row("DUP-4", line="1"), row("DUP-4", line="2", modifiers="76")],
             "71250 twice the same date, the second with 76 (repeat by the same physician): a documented repeat, "
             "not a duplicate.", [], ["DUPLICATE_LINE", "REPEAT_WITHOUT_ORIGINAL", "MODIFIER_INVALID"])

# ---------------------------------------------------------------- modifiers
csv_scenario("modifier_fx_on_ct", [row("MOD-1", modifiers="FX")],
             "71250 with FX (X-ray taken on film): FX applies to X-rays only, not CT.", ["MODIFIER_INVALID"], [])
csv_scenario("modifier_unknown", [row("MOD-2", modifiers="Z9")],
             "71250 with Z9, not a CPT or HCPCS modifier.", ["MODIFIER_INVALID"], [])
csv_scenario("modifier_malformed", [row("MOD-3", modifiers="2")],
             "71250 with modifier '2' (one character): a modifier is exactly two letters or digits.",
             ["MODIFIER_INVALID"], ["ROW_MALFORMED"])
csv_scenario("modifier_qq_2025", [row("MOD-4", modifiers="QQ", service_date="2025-06-16")],
             "71250-QQ in June 2025: the AUC modifiers (QQ, MA-MH) ended 2024-12-31.", ["MODIFIER_INVALID"],
             ["TIMELY_FILING"], as_of="2025-07-15")
csv_scenario("modifier_qq_2024", [row("MOD-5", modifiers="QQ", service_date="2024-06-17")],
             "71250-QQ in June 2024, while the AUC program still used QQ: the modifier is valid for that date. "
             "No ICD-10-CM FY2024 code set or 2024 fee schedule is bundled, so the upload says so once "
             "(REFDATA_MISSING) and raises no false diagnosis or charge error.",
             ["REFDATA_MISSING"], ["MODIFIER_INVALID", "DX_INVALID", "CHARGE_BELOW_ALLOWED", "TIMELY_FILING"],
             as_of="2024-07-15", severities={"REFDATA_MISSING": "info"})
csv_scenario("modifier_26_valid", [row("MOD-6", modifiers="26", place_of_service="22", charge="90.00")],
             "71250-26 (interpretation only) in an outpatient hospital: a valid modifier in the right setting.",
             [], ["MODIFIER_INVALID", "MODIFIER_CONFLICT", "FACILITY_REQUIRES_26"])
csv_scenario("modifier_26_with_tc", [row("MOD-7", modifiers="26:TC")],
             "71250 with both 26 and TC on one line: the two halves together are the global service.",
             ["MODIFIER_CONFLICT"], ["MODIFIER_INVALID"])
csv_scenario("modifier_76_with_77", [row("MOD-8", line="1"), row("MOD-8", line="2", modifiers="76 77")],
             "A repeat 71250 marked both 76 (same physician) and 77 (another physician): only one can be true.",
             ["MODIFIER_CONFLICT"], ["REPEAT_WITHOUT_ORIGINAL"])
csv_scenario("facility_global_pos22", [row("FAC-1", place_of_service="22")],
             "Global 71250 (no 26/TC) billed at place of service 22 (outpatient hospital): the facility is paid "
             "the scan, the professional claim needs 26.", ["FACILITY_REQUIRES_26"], ["POS_INVALID"])
csv_scenario("facility_tc_pos21", [row("FAC-2", modifiers="TC", place_of_service="21")],
             "71250-TC at place of service 21 (inpatient): a professional claim cannot bill the technical part "
             "in a facility.", ["FACILITY_REQUIRES_26"], ["MODIFIER_CONFLICT"])
csv_scenario("office_tc_pos11", [row("FAC-3", modifiers="TC", charge="300.00")],
             "71250-TC in an office (POS 11): the technical component is billable outside a facility.",
             [], ["FACILITY_REQUIRES_26", "MODIFIER_INVALID"])
csv_scenario("repeat_76_alone", [row("REP-1", modifiers="76")],
             "71250-76 with no other 71250 that date: the first study of the day is billed without 76/77.",
             ["REPEAT_WITHOUT_ORIGINAL"], ["DUPLICATE_LINE"], severities={"REPEAT_WITHOUT_ORIGINAL": "warning"})
csv_scenario("repeat_77_original_other_claim", [row("REP-2"), row("REP-3", modifiers="77")],
             "71250 on one claim and 71250-77 (another physician) on a later claim the same date: the original "
             "exists.", [], ["REPEAT_WITHOUT_ORIGINAL", "DUPLICATE_LINE"])
csv_scenario("distinct_59_alone", [row("DST-1", modifiers="59")],
             "71250-59 and nothing else that date: a distinct-service modifier with nothing to be distinct from.",
             ["DISTINCT_WITHOUT_PAIR"], ["MODIFIER_INVALID"])
csv_scenario("distinct_xs_with_other_procedure", [row("DST-2", line="1", modifiers="XS"),
                                                  row("DST-2", line="2", procedure_code="71046", charge="60.00")],
             "71250-XS with a chest X-ray (71046) the same date: there is another procedure to be distinct from.",
             [], ["DISTINCT_WITHOUT_PAIR"])
csv_scenario("reduced_service_52", [row("RED-1", modifiers="52")],
             "71250-52: reduced service, contractor-priced from the documentation.", ["REDUCED_SERVICE"],
             ["CHARGE_BELOW_ALLOWED"], severities={"REDUCED_SERVICE": "warning"})
csv_scenario("ct_equipment_modifier", [row("CTM-1", modifiers="CT")],
             "71250-CT: the scanner does not meet NEMA XR-29, the technical component is paid 15% less.",
             ["CT_EQUIPMENT_REDUCTION"], ["MODIFIER_INVALID", "REDUCED_SERVICE"],
             severities={"CT_EQUIPMENT_REDUCTION": "info"})
csv_scenario("gz_expected_denial", [row("ABN-1", modifiers="GZ", diagnosis_codes="K21.9")],
             "71250-GZ: denial expected and no ABN on file, so the provider is liable.",
             ["EXPECTED_DENIAL_GZ"], ["EXCLUDED_SERVICE_GY", "MODIFIER_INVALID"],
             severities={"EXPECTED_DENIAL_GZ": "warning"})
csv_scenario("gy_excluded_service", [row("ABN-2", modifiers="GY")],
             "71250-GY: declared statutorily excluded, Medicare denies and the beneficiary is liable.",
             ["EXCLUDED_SERVICE_GY"], ["EXPECTED_DENIAL_GZ", "MODIFIER_INVALID"])
csv_scenario("ga_abn_on_file", [row("ABN-3", modifiers="GA")],
             "71250-GA: an ABN is on file; no GZ or GY warning applies.", [],
             ["EXPECTED_DENIAL_GZ", "EXCLUDED_SERVICE_GY", "MODIFIER_INVALID"])

# ---------------------------------------------------------------- place of service
csv_scenario("pos_unassigned_35", [row("POS-1", place_of_service="35")],
             "Place of service 35 is not an assigned CMS code.", ["POS_INVALID"], ["FACILITY_REQUIRES_26"])
csv_scenario("pos_missing", [row("POS-2", place_of_service="")],
             "No place of service on the line or the claim.", ["POS_INVALID"], [])

# ---------------------------------------------------------------- diagnosis
csv_scenario("dx_missing", [row("DXM-1", diagnosis_codes="")],
             "A 71250 line with no diagnosis code.", ["DX_MISSING"], ["DX_INVALID", "DX_NOT_SUPPORTING"])
csv_scenario("dx_invalid_r05", [row("DXI-1", diagnosis_codes="R05")],
             "R05 (cough) needs a 5th character since FY2022: not billable in FY2026.", ["DX_INVALID"],
             ["DX_MISSING"])
csv_scenario("dx_invalid_c349", [row("DXI-2", diagnosis_codes="C34.9")],
             "C34.9 (lung cancer, unspecified part) is a category header, not a billable code.", ["DX_INVALID"], [])
csv_scenario("dx_valid_without_dot", [row("DXI-3", diagnosis_codes="R911;J18.9")],
             "R911 written without the dot and J18.9: both billable FY2026 codes that support a chest CT.", [],
             ["DX_INVALID", "DX_NOT_SUPPORTING", "DX_MISSING"])
csv_scenario("dx_routine_exam", [row("DXN-1", diagnosis_codes="Z00.00")],
             "71250 for a routine exam without abnormal findings (Z00.00): not an indication for diagnostic CT.",
             ["DX_NOT_SUPPORTING"], ["DX_INVALID"], severities={"DX_NOT_SUPPORTING": "warning"})
csv_scenario("dx_gerd_only", [row("DXN-2", procedure_code="71260", charge="600.00", diagnosis_codes="K21.9")],
             "71260 with only K21.9 (reflux): a valid code that is not a chest CT indication.",
             ["DX_NOT_SUPPORTING"], ["DX_INVALID"])
csv_scenario("screening_reason_on_71250", [row("SCR-1", diagnosis_codes="Z12.2;Z87.891")],
             "71250 billed with Z12.2 (lung cancer screening) as the reason: screening is billed as 71271.",
             ["SCREENING_ON_DIAGNOSTIC_CODE"], ["DX_NOT_SUPPORTING"])
csv_scenario("screening_reason_on_71271", [row("SCR-2", procedure_code="71271", charge="310.00",
                                               diagnosis_codes="Z12.2;F17.210")],
             "71271 with Z12.2 and F17.210 (current smoker): the screening reason on the screening code is right.",
             [], ["SCREENING_ON_DIAGNOSTIC_CODE", "LDCT_SMOKING_DX", "LDCT_SYMPTOMATIC"])

# ---------------------------------------------------------------- lung cancer screening


def ldct(claim_id: str, birth: str, dx: str = "Z87.891", payer: str = "medicare", **kw: str) -> dict[str, str]:
    r = row(claim_id, procedure_code="71271", charge="310.00", diagnosis_codes=dx, payer=payer, **kw)
    r["birth_date"] = birth
    return r


csv_scenario("ldct_age_78_medicare", [ldct("LDA-1", "1948-01-10")],
             "Medicare 71271 for a 78-year-old: NCD 210.14 covers ages 50-77.", ["LDCT_AGE"], ["LDCT_SMOKING_DX"],
             severities={"LDCT_AGE": "error"})
csv_scenario("ldct_age_49_medicare", [ldct("LDA-2", "1977-01-10")],
             "Medicare 71271 for a 49-year-old: below the NCD 210.14 minimum of 50.", ["LDCT_AGE"], [])
csv_scenario("ldct_age_77_day_before_birthday", [ldct("LDA-3", "1948-06-16")],
             "Medicare 71271 the day before the 78th birthday: still 77, covered.", [], ["LDCT_AGE"])
csv_scenario("ldct_age_78_commercial", [ldct("LDA-4", "1948-01-10", payer="commercial")],
             "Commercial 71271 for a 78-year-old: the commercial profile (USPSTF 2021) covers 50-80.", [],
             ["LDCT_AGE", "CHARGE_BELOW_ALLOWED"])
csv_scenario("ldct_age_81_commercial", [ldct("LDA-5", "1945-01-10", payer="commercial")],
             "Commercial 71271 for an 81-year-old: above the USPSTF upper age of 80.", ["LDCT_AGE"], [])
csv_scenario("ldct_age_52_before_2022", [ldct("LDA-6", "1969-01-10", service_date="2021-06-14")],
             "Medicare 71271 in June 2021 for a 52-year-old: before 2022-02-10 the NCD covered 55-77.",
             ["LDCT_AGE"], ["TIMELY_FILING"], as_of="2021-07-15")
csv_scenario("ldct_age_52_after_2022", [ldct("LDA-7", "1974-01-10")],
             "Medicare 71271 in June 2026 for a 52-year-old: covered since the 2022 change to 50-77.", [],
             ["LDCT_AGE"])
csv_scenario("ldct_no_tobacco_dx", [ldct("LDS-1", "1956-04-12", dx="Z12.2")],
             "Medicare 71271 with only Z12.2: the NCD claim edit requires Z87.891 or F17.21x.",
             ["LDCT_SMOKING_DX"], ["LDCT_AGE"], severities={"LDCT_SMOKING_DX": "error"})
csv_scenario("ldct_no_tobacco_dx_commercial", [ldct("LDS-2", "1956-04-12", dx="Z12.2", payer="commercial")],
             "Commercial 71271 with only Z12.2: the tobacco edit is Medicare's, so for a commercial payer it is a "
             "warning.", ["LDCT_SMOKING_DX"], [], severities={"LDCT_SMOKING_DX": "warning"})
csv_scenario("ldct_current_smoker_f17213", [ldct("LDS-3", "1956-04-12", dx="F17.213")],
             "Medicare 71271 with F17.213 (current cigarette smoker, with withdrawal): an accepted tobacco code.",
             [], ["LDCT_SMOKING_DX"])
csv_scenario("ldct_with_cough", [ldct("LDY-1", "1956-04-12", dx="Z87.891;R05.1")],
             "71271 with R05.1 (acute cough): screening is for asymptomatic patients, this looks diagnostic.",
             ["LDCT_SYMPTOMATIC"], ["LDCT_SMOKING_DX"], severities={"LDCT_SYMPTOMATIC": "warning"})
csv_scenario("ldct_with_nodule_finding", [ldct("LDY-2", "1956-04-12", dx="F17.210;R91.1")],
             "71271 with R91.1 (lung nodule finding): a follow-up of a finding is a diagnostic CT.",
             ["LDCT_SYMPTOMATIC"], [])
csv_scenario("ldct_repeat_within_11_months", [ldct("LDF-1", "1956-04-12", service_date="2026-01-12"),
                                              ldct("LDF-2", "1956-04-12", service_date="2026-06-15")],
             "Two 71271 screens for the same beneficiary in January and June 2026 (one upload): the second "
             "comes before 11 full months have passed.", ["LDCT_FREQUENCY"], ["DUPLICATE_LINE"],
             severities={"LDCT_FREQUENCY": "error"})
csv_scenario("ldct_repeat_boundary_denied", [ldct("LDF-3", "1956-04-12", service_date="2025-06-30", payer="commercial"),
                                             ldct("LDF-4", "1956-04-12", service_date="2026-05-31",
                                                  payer="commercial")],
             "Screens on 2025-06-30 and 2026-05-31: the next screen is payable from 2026-06-01 (11 full months "
             "after June 2025), so the second is one day early.", ["LDCT_FREQUENCY"], ["TIMELY_FILING"],
             as_of="2026-06-05")
csv_scenario("ldct_repeat_boundary_allowed", [ldct("LDF-5", "1956-04-12", service_date="2025-06-30", payer="commercial"),
                                              ldct("LDF-6", "1956-04-12", service_date="2026-06-01",
                                                   payer="commercial")],
             "Screens on 2025-06-30 and 2026-06-01: the first day 11 full months after June 2025, so annual "
             "screening is satisfied.", [], ["LDCT_FREQUENCY", "TIMELY_FILING"], as_of="2026-06-05")
csv_scenario("ldct_different_beneficiaries", [ldct("LDF-7", "1956-04-12", service_date="2026-01-12"),
                                              {**ldct("LDF-8", "1956-04-12"), **PATIENTS["C"],
                                               "birth_date": "1961-02-08"}],
             "Two 71271 screens five months apart for two different beneficiaries: no frequency edit.", [],
             ["LDCT_FREQUENCY"])

# ---------------------------------------------------------------- providers
csv_scenario("ordering_npi_missing", [row("PRV-1", ordering_npi="")],
             "71250 without an ordering provider: Medicare rejects imaging without the ordering NPI.",
             ["ORDERING_PROVIDER_MISSING"], ["NPI_INVALID"])
csv_scenario("ordering_npi_bad_check_digit", [row("PRV-2", ordering_npi=BAD)],
             "Ordering NPI 1234567890 fails the Luhn check digit.", ["NPI_INVALID"], ["ORDERING_PROVIDER_MISSING"])
csv_scenario("billing_npi_nine_digits", [row("PRV-3", billing_npi="123456789")],
             "Billing NPI with 9 digits: an NPI is 10 digits.", ["NPI_INVALID"], [])
csv_scenario("npis_valid", [row("PRV-4", ordering_npi="1245319599", rendering_npi="1234567893")],
             "Ordering 1245319599, rendering and billing 1234567893: all pass the check digit.", [],
             ["NPI_INVALID", "ORDERING_PROVIDER_MISSING"])

# ---------------------------------------------------------------- documentation checklist
csv_scenario("doc_beneficiary_name_blank", [row("DOC-1", patient_last_name="")],
             "The patient_last_name column is present but empty: the record must identify the beneficiary.",
             ["DOC_BENEFICIARY_NAME"], ["DOC_ORDER", "DOC_REPORT"], doc=True)
csv_scenario("doc_service_date_blank", [row("DOC-2", service_date="")],
             "The service_date column is present but empty on the 71250 line.", ["DOC_SERVICE_DATE"],
             ["DOS_FUTURE", "TIMELY_FILING"], doc=True)
csv_scenario("doc_order_unsigned", [row("DOC-3", order_signed="no")],
             "order_signed is 'no': a diagnostic test needs the treating practitioner's signed order.",
             ["DOC_ORDER"], ["DOC_REPORT", "DOC_INDICATION"], doc=True, severities={"DOC_ORDER": "error"})
csv_scenario("doc_indication_blank", [row("DOC-4", indication="")],
             "No indication in the record: the reason for the CT must be documented.", ["DOC_INDICATION"],
             ["DOC_ORDER"], doc=True, severities={"DOC_INDICATION": "warning"})
csv_scenario("doc_report_unsigned", [row("DOC-5", report_signed="no")],
             "report_signed is 'no' on a global 71250: the interpretation needs a signed written report.",
             ["DOC_REPORT"], ["DOC_SIGNATURE"], doc=True)
csv_scenario("doc_report_unsigned_tc_only", [row("DOC-6", modifiers="TC", charge="300.00", report_signed="no")],
             "report_signed is 'no' on 71250-TC: a technical-only line does not bill the interpretation.", [],
             ["DOC_REPORT"], doc=True)
csv_scenario("doc_credentials_blank", [row("DOC-7", rendering_credentials="")],
             "No rendering signature or credentials on the report.", ["DOC_SIGNATURE"], ["DOC_REPORT"], doc=True)
csv_scenario("doc_history_blank", [row("DOC-8", history="")],
             "No relevant history or prior imaging in the record.", ["DOC_HISTORY"], ["DOC_INDICATION"], doc=True)

# ---------------------------------------------------------------- dates
csv_scenario("dos_in_future", [row("DAT-1", service_date="2026-07-20")],
             "Date of service 2026-07-20 processed on 2026-07-15: a service cannot be billed before it is done.",
             ["DOS_FUTURE"], ["TIMELY_FILING"])
csv_scenario("dos_today", [row("DAT-2", service_date="2026-07-15")],
             "Date of service equal to the processing date: not in the future.", [], ["DOS_FUTURE", "TIMELY_FILING"])
csv_scenario("timely_filing_13_months", [row("DAT-3", service_date="2025-06-02")],
             "Medicare 71250 from 2025-06-02 processed 2026-07-15: more than 12 months after the date of service.",
             ["TIMELY_FILING"], ["DOS_FUTURE"], severities={"TIMELY_FILING": "error"})
csv_scenario("timely_filing_10_months", [row("DAT-4", service_date="2025-09-15")],
             "Medicare 71250 from 2025-09-15 processed 2026-07-15: inside the 12-month limit.", [],
             ["TIMELY_FILING"])

# ---------------------------------------------------------------- payment
csv_scenario("charge_below_fee_schedule", [row("PAY-1", charge="100.00")],
             "Medicare 71250 global charged $100.00, below the 2026 national fee schedule amount ($132.60).",
             ["CHARGE_BELOW_ALLOWED"], [], severities={"CHARGE_BELOW_ALLOWED": "warning"})
csv_scenario("charge_below_manhattan", [row("PAY-2", charge="140.00")],
             "Medicare 71250 global charged $140.00 in Manhattan (13202-01), below the 2026 amount $151.64 "
             "(though above the national $132.60).", ["CHARGE_BELOW_ALLOWED"], [], locality="13202-01")
csv_scenario("charge_above_fee_schedule", [row("PAY-3", charge="140.00")],
             "Medicare 71250 global charged $140.00 nationally, above the 2026 national $132.60.", [],
             ["CHARGE_BELOW_ALLOWED"])
csv_scenario("charge_below_commercial", [row("PAY-4", charge="100.00", payer="commercial")],
             "A commercial claim charged $100.00: the Medicare fee schedule comparison applies to Medicare only.",
             [], ["CHARGE_BELOW_ALLOWED"])

# ---------------------------------------------------------------- non-CT lines
csv_scenario("non_ct_lines_only", [row("NCT-1", procedure_code="99213", charge="20.00", diagnosis_codes="",
                                       ordering_npi="")],
             "An office visit (99213) with no diagnosis, no ordering NPI and a low charge: lines that are not "
             "chest CT get no findings of their own.", [],
             ["DX_MISSING", "ORDERING_PROVIDER_MISSING", "CHARGE_BELOW_ALLOWED", "POS_INVALID"])

# ---------------------------------------------------------------- reference data coverage
csv_scenario("fy2027_no_icd_code_set", [row("REF-1", service_date="2026-10-05", diagnosis_codes="R91.1;X99.9")],
             "Date of service 2026-10-05 (FY2027) while only FY2026 ICD-10-CM is bundled: the upload says so once "
             "and no diagnosis is called invalid.", ["REFDATA_MISSING"], ["DX_INVALID"], as_of="2026-11-02")

# ---------------------------------------------------------------- reader level: CSV rows and files
csv_scenario("row_bad_units", [row("ROW-1", units="two")],
             "A units cell reading 'two': the row is kept (checked as 1 unit) and reported.", ["ROW_MALFORMED"],
             ["FILE_MALFORMED", "UNITS_EXCEED_MUE"])
csv_scenario("row_bad_date", [row("ROW-2", service_date="06/15/2026")],
             "A service date written 06/15/2026 instead of YYYY-MM-DD.", ["ROW_MALFORMED"], ["FILE_MALFORMED"])
csv_scenario("row_wrong_width", [row("ROW-3"), row("ROW-4")],
             "placeholder", ["ROW_MALFORMED"], ["FILE_MALFORMED"])
# overwrite the last file with a short row (one cell missing)
p = OUT / "row_wrong_width.csv"
lines = p.read_text().splitlines()
lines[2] = lines[2].rsplit(",", 1)[0]
p.write_text("\n".join(lines) + "\n")
scenarios[-1]["description"] = ("The second claim's row has one cell fewer than the header: that row is reported, "
                                "the first claim is still checked.")


def raw(name: str, ext: str, data: bytes, description: str, must: list[str], must_not: list[str], **kw: object) -> None:
    (OUT / f"{name}.{ext}").write_bytes(data)
    add(name, f"{name}.{ext}", description, must, must_not, **kw)  # type: ignore[arg-type]


raw("file_empty", "csv", b"", "An empty upload.", ["FILE_MALFORMED"], ["FILE_UNSUPPORTED_FORMAT"])
raw("file_header_only", "csv", (",".join(CLAIM_COLS) + "\n").encode(),
    "A CSV with the header row and no claims.", ["FILE_MALFORMED"], ["ROW_MALFORMED"])
raw("file_no_procedure_column", "csv",
    b"claim_id,service_date,charge\nHDR-1,2026-06-15,425.00\n",
    "A CSV header without the required procedure_code column.", ["FILE_MALFORMED"], ["FILE_UNSUPPORTED_FORMAT"])
raw("file_semicolon_separated", "csv",
    b"claim_id;procedure_code;service_date\nSEM-1;71250;2026-06-15\n",
    "A CSV saved with semicolons (European Excel): CSV v1 uses commas.", ["FILE_MALFORMED"],
    ["FILE_UNSUPPORTED_FORMAT"])
raw("file_pdf", "csv", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
    "A PDF uploaded instead of a claim file.", ["FILE_UNSUPPORTED_FORMAT"], ["FILE_MALFORMED"])
raw("file_plain_text", "csv", b"Chest CT claims for June are attached to the email.\nThanks\n",
    "A plain-text note with no CSV header, X12 or JSON.", ["FILE_UNSUPPORTED_FORMAT"], ["FILE_MALFORMED"])

# ---------------------------------------------------------------- JSON v1


def jdoc(*claims: dict) -> bytes:
    return (json.dumps({"format": "ctscrub-claims", "version": 1, "claims": list(claims)}, indent=2) + "\n").encode()


def jclaim(claim_id: str, lines: list[dict], **kw: object) -> dict:
    c = {"claim_id": claim_id, "payer": "medicare", "member_id": "4LM7WH8QN06", "patient_last_name": "SPECIMEN",
         "patient_first_name": "RILEY", "birth_date": "1959-09-05", "billing_npi": BILL, "ordering_npi": ORD,
         "rendering_npi": REND, "place_of_service": "11"}
    c.update(kw)
    c["lines"] = lines
    return c


def jline(**kw: object) -> dict:
    ln = {"procedure_code": "71250", "service_date": "2026-06-15", "charge": 425.00, "diagnosis_codes": ["R91.1"]}
    ln.update(kw)
    return ln


raw("json_clean", "json", jdoc(jclaim("JSN-1", [jline(documentation={
    "contrast": "none", "order_signed": True, "indication": "Nodule follow-up", "report_signed": True,
    "rendering_credentials": "MD", "history": "Prior CT 2025-12"})])),
    "JSON v1 claim with one fully documented 71250 line: clean, nothing is raised.", [], ALL)
raw("json_screening_problems", "json", jdoc(jclaim("JSN-2", [jline(procedure_code="71271", charge=310.00,
                                                                   diagnosis_codes=["Z12.2"])],
                                                    birth_date="1946-03-01")),
    "JSON v1 71271 for an 80-year-old Medicare beneficiary with no tobacco diagnosis: age and tobacco edits.",
    ["LDCT_AGE", "LDCT_SMOKING_DX"], ["ROW_MALFORMED", "LDCT_SYMPTOMATIC"])
raw("json_doc_order_false", "json", jdoc(jclaim("JSN-3", [jline(documentation={"order_signed": False})])),
    "JSON v1 line whose documentation says the order is not signed (only that key present): only DOC_ORDER "
    "runs.", ["DOC_ORDER"], ["DOC_REPORT", "DOC_INDICATION", "DOC_HISTORY", "DOC_SIGNATURE"])
raw("json_claim_level_dx_and_facility", "json",
    jdoc(jclaim("JSN-4", [jline(diagnosis_codes=[], modifiers=["26"])], place_of_service="22",
                diagnosis_codes=["I26.99"])),
    "JSON v1 71250-26 at POS 22 whose diagnosis is given at claim level only: the line uses the claim's code.",
    [], ["DX_MISSING", "FACILITY_REQUIRES_26", "DX_NOT_SUPPORTING"])
raw("json_bad_line_date", "json", jdoc(jclaim("JSN-5", [jline(service_date="2026-02-30")])),
    "JSON v1 line with service_date 2026-02-30 (not a calendar date): the claim is reported, the file is read.",
    ["ROW_MALFORMED"], ["FILE_MALFORMED"])
raw("json_syntax_error", "json", b'{"format": "ctscrub-claims", "version": 1, "claims": [\n  {"claim_id": "JSN-6",\n',
    "A JSON file cut off mid-document.", ["FILE_MALFORMED"], ["FILE_UNSUPPORTED_FORMAT"])
raw("json_wrong_format_name", "json",
    json.dumps({"format": "claims", "version": 2, "claims": []}).encode(),
    "A JSON document that is not ctscrub-claims version 1.", ["FILE_MALFORMED"], ["ROW_MALFORMED"])

# ---------------------------------------------------------------- X12 837P
J = "20260615"


def x12(name: str, data: bytes, description: str, must: list[str], must_not: list[str], **kw: object) -> None:
    raw(name, "837", data, description, must, must_not, **kw)


UNUSED_X12_NOT = ["CHARGE_TOTAL_MISMATCH", "CLAIM_FREQUENCY_REF_MISSING", "DX_POINTER_INVALID", "X12_ENVELOPE",
           "X12_CLAIM_MALFORMED", "FILE_MALFORMED", "DX_MISSING", "ORDERING_PROVIDER_MISSING", "NPI_INVALID"]
x12("x12_clean", X.build(X.ClaimSpec(claim_id="X12-1", lines=[X.Line(dos=J, charge="425.00")])),
    "A clean 837P: one Medicare claim, 71250 on 2026-06-15, totals and envelope consistent: nothing is raised.",
    [], ALL)
x12("x12_total_mismatch", X.build(X.ClaimSpec(claim_id="X12-2", total="500.00",
                                              lines=[X.Line(dos=J, charge="425.00")])),
    "CLM02 says $500.00 but the only line charges $425.00.", ["CHARGE_TOTAL_MISMATCH"], ["X12_CLAIM_MALFORMED"])
x12("x12_replacement_without_f8", X.build(X.ClaimSpec(claim_id="X12-3", frequency="7",
                                                      lines=[X.Line(dos=J, charge="425.00")])),
    "A replacement claim (CLM05-3 = 7) without REF*F8 naming the original claim.",
    ["CLAIM_FREQUENCY_REF_MISSING"], ["CHARGE_TOTAL_MISMATCH"])
x12("x12_replacement_with_f8", X.build(X.ClaimSpec(claim_id="X12-4", frequency="7", ref_f8="ORIG20260001",
                                                   lines=[X.Line(dos=J, charge="425.00")])),
    "A replacement claim with REF*F8: the original is named.", [], ["CLAIM_FREQUENCY_REF_MISSING"])
x12("x12_pointer_past_codes", X.build(X.ClaimSpec(claim_id="X12-5", dx=("R911",),
                                                  lines=[X.Line(dos=J, charge="425.00", pointers=("1", "3"))])),
    "SV107 points to diagnosis 3 but the claim's HI holds one code.", ["DX_POINTER_INVALID"], ["DX_MISSING"])
x12("x12_se_count_wrong", X.render(X.Interchange(groups=[X.Group(transactions=[X.Transaction(
    subscribers=[X.Subscriber(claims=[X.ClaimSpec(claim_id="X12-6", lines=[X.Line(dos=J, charge="425.00")])])],
    se_count="99")])])),
    "SE01 says 99 segments but the transaction has fewer: an envelope warning, the claim is still checked.",
    ["X12_ENVELOPE"], ["FILE_MALFORMED", "X12_CLAIM_MALFORMED"], severities={"X12_ENVELOPE": "warning"})
x12("x12_bad_line_charge", X.build(X.ClaimSpec(claim_id="X12-7", total="425.00",
                                               lines=[X.Line(dos=J, charge="ABC")])),
    "SV102 line charge is not a number.", ["X12_CLAIM_MALFORMED"], ["FILE_MALFORMED"])
x12("x12_commercial_ldct_age", X.build(X.ClaimSpec(claim_id="X12-8", dx=("Z87891",),
                                                   lines=[X.Line(code="71271", dos=J, charge="310.00")]),
                                       payer_type="CI", dob="19440301"),
    "837P with SBR09 = CI (commercial) for an 82-year-old's 71271: the commercial profile's upper age is 80.",
    ["LDCT_AGE"], ["LDCT_SMOKING_DX", "CHARGE_BELOW_ALLOWED"])
x12("x12_no_isa", b"GS*HC*SCRUBTEST*PAYERTEST*20260615*1200*101*X*005010X222A1~\nST*837*0001*005010X222A1~\n",
    "An X12 fragment that starts at GS instead of ISA.", ["FILE_MALFORMED"], ["FILE_UNSUPPORTED_FORMAT"])


# ---------------------------------------------------------------- more edges, both directions
csv_scenario("modifier_rt_on_ct", [row("MOD-9", modifiers="RT")],
             "71250-RT: chest CT has bilateral indicator 0, side modifiers do not apply.", ["MODIFIER_INVALID"], [])
csv_scenario("modifier_50_on_ct", [row("MOD-10", modifiers="50")],
             "71250-50 (bilateral): the chest is one area, bilateral indicator 0.", ["MODIFIER_INVALID"], [])
csv_scenario("modifier_91_on_ct", [row("MOD-11", line="1"), row("MOD-11", line="2", modifiers="91")],
             "A repeat 71250 marked 91 (repeat lab test): imaging repeats use 76/77.", ["MODIFIER_INVALID"], [])
csv_scenario("modifier_ma_2026", [row("MOD-12", modifiers="MA")],
             "71250-MA in 2026: the AUC modifiers ended 2024-12-31.", ["MODIFIER_INVALID"], [])
csv_scenario("code_g0297_before_deletion", [row("DEL-3", procedure_code="G0297", charge="310.00",
                                                diagnosis_codes="Z87.891", service_date="2020-12-14")],
             "G0297 for a screening on 2020-12-14, before its 2021-01-01 deletion: a valid code then.", [],
             ["CODE_DELETED", "TIMELY_FILING"], as_of="2021-01-15")
csv_scenario("split_26_and_tc_same_day", [row("DUP-5", line="1", modifiers="26", charge="90.00"),
                                          row("DUP-5", line="2", modifiers="TC", charge="330.00")],
             "71250-26 and 71250-TC for the same study on one claim: two different components, not a duplicate.",
             [], ["DUPLICATE_LINE", "MODIFIER_CONFLICT", "REPEAT_WITHOUT_ORIGINAL"])
csv_scenario("facility_global_pos23", [row("FAC-4", place_of_service="23")],
             "Global 71250 in the emergency room (POS 23): a facility setting, bill 26 only.",
             ["FACILITY_REQUIRES_26"], [])
csv_scenario("rendering_npi_bad_on_line", [row("PRV-5", rendering_npi="1234567891")],
             "Rendering NPI 1234567891 fails the check digit.", ["NPI_INVALID"], [])
csv_scenario("ldct_age_50_on_birthday", [ldct("LDA-8", "1976-06-15")],
             "Medicare 71271 on the 50th birthday: 50 is inside the covered range.", [], ["LDCT_AGE"])
csv_scenario("timely_filing_countdown", [row("DAT-5", service_date="2025-07-20")],
             "Medicare 71250 from 2025-07-20 processed 2026-07-15: 5 days left before the 12-month limit, a "
             "warning.", ["TIMELY_FILING"], ["DOS_FUTURE"], severities={"TIMELY_FILING": "warning"})
csv_scenario("timely_filing_commercial", [row("DAT-6", service_date="2025-06-02", payer="commercial")],
             "Commercial 71250 from 2025-06-02 processed 2026-07-15: past Medicare's 12 months, the payer contract "
             "decides, so a warning.", ["TIMELY_FILING"], [], severities={"TIMELY_FILING": "warning"})
csv_scenario("dx_not_a_code", [row("DXI-4", diagnosis_codes="R91.1;ABC")],
             "A diagnosis 'ABC' next to R91.1: not an ICD-10-CM code.", ["DX_INVALID"], ["DX_NOT_SUPPORTING"])
csv_scenario("charge_below_cta_26_facility", [row("PAY-5", procedure_code="71275", modifiers="26",
                                                  place_of_service="22", charge="20.00", diagnosis_codes="I26.99")],
             "Medicare 71275-26 at POS 22 charged $20.00: below the 2026 facility professional amount.",
             ["CHARGE_BELOW_ALLOWED"], ["FACILITY_REQUIRES_26"])
raw("json_commercial_clean_screen", "json",
    jdoc(jclaim("JSN-7", [jline(procedure_code="71271", charge=150.00, diagnosis_codes=["Z87.891"])],
                payer="commercial", birth_date="1947-03-01")),
    "JSON v1 commercial 71271 for a 79-year-old former smoker charged $150: covered ages 50-80 for commercial "
    "payers, and the Medicare charge comparison does not apply.", [],
    ["LDCT_AGE", "LDCT_SMOKING_DX", "CHARGE_BELOW_ALLOWED", "ROW_MALFORMED"])
raw("json_unknown_key", "json", jdoc({**jclaim("JSN-8", [jline()]), "patient_middle": "Q"}),
    "JSON v1 claim with a misspelt extra key: reported, the claim is still checked.", ["ROW_MALFORMED"],
    ["FILE_MALFORMED"])
x12("x12_void_without_f8", X.build(X.ClaimSpec(claim_id="X12-9", frequency="8",
                                               lines=[X.Line(dos=J, charge="425.00")])),
    "A void (CLM05-3 = 8) without REF*F8: the payer cannot tell which claim to cancel.",
    ["CLAIM_FREQUENCY_REF_MISSING"], [])
x12("x12_pointers_valid_two_dx", X.build(X.ClaimSpec(claim_id="X12-10", dx=("R911", "R0789"),
                                                     lines=[X.Line(dos=J, charge="425.00", pointers=("1", "2"))])),
    "SV107 points to diagnoses 1 and 2 and HI holds two codes.", [], ["DX_POINTER_INVALID", "DX_MISSING"])
x12("x12_no_ordering_provider", X.build(X.ClaimSpec(claim_id="X12-11", ordering_dn_npi=None,
                                                    lines=[X.Line(dos=J, charge="425.00")])),
    "837P without a 2310A referring/ordering provider or a line-level one.", ["ORDERING_PROVIDER_MISSING"],
    ["NPI_INVALID"])
x12("x12_iea_control_mismatch", X.render(X.Interchange(
    groups=[X.Group(transactions=[X.Transaction(subscribers=[X.Subscriber(claims=[X.ClaimSpec(
        claim_id="X12-12", lines=[X.Line(dos=J, charge="425.00")])])])])], iea_control="000000999")),
    "IEA02 does not repeat the ISA13 control number.", ["X12_ENVELOPE"], ["X12_CLAIM_MALFORMED"])
x12("x12_two_claims_one_bad", X.build(
    X.ClaimSpec(claim_id="X12-13", lines=[X.Line(dos=J, charge="425.00")]),
    X.ClaimSpec(claim_id="X12-14", lines=[X.Line(code="71260", dos="20260616", charge="600.00", units="")])),
    "Two claims; the second's SV104 units are missing: only that claim is marked malformed.",
    ["X12_CLAIM_MALFORMED"], ["FILE_MALFORMED", "CHARGE_TOTAL_MISMATCH"])


csv_scenario("ptp_across_claims_ldct_later", [row("PTP-5"), row("PTP-6", procedure_code="71271", charge="310.00",
                                                               diagnosis_codes="Z87.891")],
             "71250 on one claim and 71271 on a later claim, same patient and date: the pair edit spans claims.",
             ["PTP_BUNDLED"], [])
csv_scenario("ptp_across_claims_ldct_first", [row("PTP-7", procedure_code="71271", charge="310.00",
                                                  diagnosis_codes="Z87.891"), row("PTP-8")],
             "71271 on one claim and 71250 on a later claim, same patient and date: the edit is found from "
             "either order.", ["PTP_BUNDLED"], [])
csv_scenario("distinct_xs_other_procedure_earlier_claim",
             [row("DST-3", procedure_code="71046", charge="60.00"), row("DST-4", modifiers="XS")],
             "A chest X-ray (71046) on one claim and 71250-XS on a later claim, same patient and date: there is "
             "another procedure that day to be distinct from.", [], ["DISTINCT_WITHOUT_PAIR"])
csv_scenario("repeat_76_original_later_claim", [row("REP-4", modifiers="76"), row("REP-5")],
             "71250-76 on one claim and the original 71250 on a later claim of the same upload, same patient and "
             "date: the original exists in the upload.", [], ["REPEAT_WITHOUT_ORIGINAL"],
             xfail="rules see only earlier claims of the upload (streaming), so a 76/77 line whose original "
                   "is on a later claim raises REPEAT_WITHOUT_ORIGINAL although the upload holds another line of "
                   "that code on that date")

(OUT / "SCENARIOS.json").write_text(json.dumps({"scenarios": scenarios}, indent=2) + "\n", encoding="utf-8")
print(len(scenarios), "scenarios")
