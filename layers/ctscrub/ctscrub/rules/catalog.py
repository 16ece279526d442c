"""Every rule id the scrubber can raise, with its default severity and basis.

Rule ids are an interface: SNS subscribers filter on them and the findings table stores them. Never
rename one; add new ids instead. ``docs/RULES.md`` is generated from this table (``ctscrub rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ctscrub.model import Severity

E: Final = Severity.ERROR
W: Final = Severity.WARNING
I: Final = Severity.INFO


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    severity: Severity
    family: str  # the module under ctscrub/rules that implements it
    title: str
    source: str


_RULES: Final = [
    # coding: code set, code pairs, units, duplicates (rules/coding.py)
    RuleInfo("CODE_DELETED", E, "coding", "Deleted code billed",
             "HCPCS 2021 annual update: G0297 deleted 2021-01-01, replaced by CPT 71271"),
    RuleInfo("CONTRAST_COMBINED_REQUIRED", E, "coding", "Without and with contrast billed separately",
             "NCCI policy manual ch. IX (unbundling): one session without and with contrast is 71270"),
    RuleInfo("CONTRAST_MISMATCH", E, "coding", "Documented contrast contradicts the code",
             "CPT radiology guidelines: 'with contrast' means intravascular contrast; oral alone is not"),
    RuleInfo("PTP_BUNDLED", E, "coding", "Code pair bundled the same date",
             "NCCI policy manual ch. IX; CPT instruction for 71271; NCCI practitioner PTP edits when loaded"),
    RuleInfo("UNITS_EXCEED_MUE", E, "coding", "Units above the medically unlikely edit",
             "CMS MUE program (practitioner services); one unit per study, repeats on their own line"),
    RuleInfo("DUPLICATE_LINE", E, "coding", "Duplicate service line",
             "Medicare Claims Processing Manual (Pub 100-04) ch. 1: exact duplicates deny; use 76/77 for repeats"),
    # modifiers (rules/modifiers.py)
    RuleInfo("MODIFIER_INVALID", E, "modifiers", "Modifier invalid or not applicable to CT",
             "Pub 100-04 ch. 13; HCPCS modifier definitions (FX/FY X-ray only; 91 lab only; bilateral "
             "indicator 0; AUC modifiers ended 2024-12-31)"),
    RuleInfo("MODIFIER_CONFLICT", E, "modifiers", "Contradictory modifiers on one line",
             "PFS PC/TC indicator 1 (26 and TC are the two halves of the global); CPT 76/77 definitions"),
    RuleInfo("FACILITY_REQUIRES_26", E, "modifiers", "Global or TC billed in a facility setting",
             "Pub 100-04 ch. 13 §20; PFS facility NA flag on global and TC rows"),
    RuleInfo("REPEAT_WITHOUT_ORIGINAL", W, "modifiers", "Repeat modifier without an original study",
             "CPT modifiers 76/77: the first study is billed without the modifier"),
    RuleInfo("DISTINCT_WITHOUT_PAIR", W, "modifiers", "Distinct-service modifier with nothing to be distinct from",
             "NCCI policy manual ch. I §E (modifiers 59 and X{EPSU})"),
    RuleInfo("REDUCED_SERVICE", W, "modifiers", "Reduced service (modifier 52)",
             "Pub 100-04 ch. 12 §30; contractor-priced, documentation required"),
    RuleInfo("CT_EQUIPMENT_REDUCTION", I, "modifiers", "CT equipment modifier: TC reduced 15%",
             "Protecting Access to Medicare Act §218(a); PFS since 2017 (NEMA XR-29)"),
    RuleInfo("EXPECTED_DENIAL_GZ", W, "modifiers", "GZ: expected denial without an ABN",
             "Pub 100-04 ch. 30 §90 (ABN modifiers)"),
    RuleInfo("EXCLUDED_SERVICE_GY", W, "modifiers", "GY: statutorily excluded service",
             "Pub 100-04 ch. 30 §90; Social Security Act §1862(a)"),
    # place of service (rules/place_of_service.py)
    RuleInfo("POS_INVALID", E, "place_of_service", "Invalid place of service",
             "CMS place of service code set"),
    # diagnosis (rules/diagnosis.py)
    RuleInfo("DX_MISSING", E, "diagnosis", "No diagnosis for the line",
             "Pub 100-04 ch. 26 (item 21/24E; 837P HI and SV107 required)"),
    RuleInfo("DX_INVALID", E, "diagnosis", "Diagnosis not a billable ICD-10-CM code",
             "ICD-10-CM code set of the fiscal year of service (HIPAA code set, 45 CFR 162.1002)"),
    RuleInfo("DX_NOT_SUPPORTING", W, "diagnosis", "No diagnosis supports medical necessity",
             "LCD L33459 CT Thorax indications; Social Security Act §1862(a)(1)(A)"),
    RuleInfo("SCREENING_ON_DIAGNOSTIC_CODE", E, "diagnosis", "Screening reason on a diagnostic CT",
             "NCD 210.14: lung cancer screening is billed with 71271"),
    RuleInfo("DX_POINTER_INVALID", E, "diagnosis", "Diagnosis pointer beyond the claim's codes",
             "X12 837P 005010X222A1 SV107 (pointers into HI)"),
    # lung cancer screening (rules/screening.py)
    RuleInfo("LDCT_AGE", E, "screening", "LDCT screening outside the covered ages",
             "NCD 210.14 (50-77 from 2022-02-10, 55-77 before); USPSTF 2021 (50-80) for commercial"),
    RuleInfo("LDCT_SMOKING_DX", E, "screening", "LDCT screening without a tobacco diagnosis",
             "NCD 210.14 claim edit: Z87.891 or F17.210/.211/.213/.218/.219 required"),
    RuleInfo("LDCT_SYMPTOMATIC", W, "screening", "LDCT screening with symptom or finding codes",
             "NCD 210.14: screening is for asymptomatic beneficiaries"),
    RuleInfo("LDCT_FREQUENCY", E, "screening", "LDCT screening repeated within 11 months",
             "NCD 210.14 (annual); claim edit: 11 full months after the month of the last screen"),
    # providers (rules/providers.py)
    RuleInfo("ORDERING_PROVIDER_MISSING", E, "providers", "No ordering provider",
             "42 CFR 410.32(a); 837P loop 2310A/2420E; remark codes N264/N265"),
    RuleInfo("NPI_INVALID", E, "providers", "NPI fails the check digit",
             "45 CFR 162.406; NPI check digit: Luhn over 80840 + first 9 digits"),
    # documentation checklist (rules/documentation.py); only when the input carries the item
    RuleInfo("DOC_BENEFICIARY_NAME", E, "documentation", "Beneficiary name missing",
             "Source guide documentation checklist; Pub 100-08 ch. 3 §3.3.2.4 (medical record identity)"),
    RuleInfo("DOC_SERVICE_DATE", E, "documentation", "Date of service missing",
             "Source guide documentation checklist; Pub 100-04 ch. 26"),
    RuleInfo("DOC_ORDER", E, "documentation", "No signed order",
             "42 CFR 410.32(a); source guide documentation checklist"),
    RuleInfo("DOC_INDICATION", W, "documentation", "No documented indication",
             "42 CFR 410.32(d)(2); source guide documentation checklist"),
    RuleInfo("DOC_REPORT", E, "documentation", "No signed report",
             "Pub 100-04 ch. 13 §100 (interpretation requires a written report); source guide checklist"),
    RuleInfo("DOC_SIGNATURE", W, "documentation", "Rendering signature or credentials missing",
             "Pub 100-08 ch. 3 §3.3.2.4 (signature requirements); source guide checklist"),
    RuleInfo("DOC_HISTORY", W, "documentation", "No relevant history or prior imaging",
             "Source guide documentation checklist; LCD L33459 documentation requirements"),
    # dates (rules/dates.py)
    RuleInfo("DOS_FUTURE", E, "dates", "Date of service in the future", "Pub 100-04 ch. 1 §70"),
    RuleInfo("TIMELY_FILING", E, "dates", "Past the timely filing limit",
             "42 CFR 424.44; Pub 100-04 ch. 1 §70 (12 months from the date of service)"),
    # payment (rules/payment.py)
    RuleInfo("CHARGE_BELOW_ALLOWED", W, "payment", "Charge below the Medicare fee schedule amount",
             "Medicare pays the lower of the actual charge and the fee schedule amount (42 CFR 414.20)"),
    # claim structure (rules/claim.py; X12 only for the first two)
    RuleInfo("CHARGE_TOTAL_MISMATCH", E, "claim", "Claim total differs from the sum of the lines",
             "X12 837P 005010X222A1 CLM02 (total of all SV102)"),
    RuleInfo("CLAIM_FREQUENCY_REF_MISSING", E, "claim", "Replacement or void without the original claim number",
             "X12 837P 005010X222A1 2300 REF*F8 required when CLM05-3 is 7 or 8"),
    # file and reader level (formats/)
    RuleInfo("FILE_UNSUPPORTED_FORMAT", E, "file", "File format not supported", "ctscrub input formats"),
    RuleInfo("FILE_MALFORMED", E, "file", "File cannot be read", "ctscrub input formats"),
    RuleInfo("X12_ENVELOPE", W, "file", "X12 envelope counts or control numbers wrong",
             "X12 005010 envelope: SE01, GE01, IEA01, ST02=SE02, ISA13=IEA02"),
    RuleInfo("X12_CLAIM_MALFORMED", E, "file", "Claim structure unreadable", "X12 837P 005010X222A1"),
    RuleInfo("ROW_MALFORMED", E, "file", "Input row unreadable", "ctscrub CSV v1 / JSON v1 formats"),
    RuleInfo("REFDATA_MISSING", I, "file", "No reference data covers the date of service",
             "ctscrub reference data (load with `ctscrub refdata import`)"),
]

RULES: Final[dict[str, RuleInfo]] = {r.id: r for r in _RULES}


def info(rule_id: str) -> RuleInfo:
    return RULES[rule_id]
