"""One-off generator for samples/csv/chest_ct_demo.csv, samples/csv/all_rules.csv, samples/json/all_rules.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORD, REND, BILL, BAD = "1245319599", "1234567893", "1234567893", "1234567890"
COLS = ["claim_id", "line", "member_id", "patient_last_name", "patient_first_name", "birth_date", "payer",
        "service_date", "place_of_service", "procedure_code", "modifiers", "units", "charge", "diagnosis_codes",
        "ordering_npi", "rendering_npi", "billing_npi", "locality", "contrast", "order_signed", "indication",
        "report_signed", "rendering_credentials", "history"]
FIRST = ["ALEX", "JORDAN", "CASEY", "RILEY", "TAYLOR", "MORGAN", "JAMIE", "ROBIN", "DREW", "QUINN", "SAGE", "AVERY"]
_DIG = "0123456789"
_LET = "ACDEFGHJKMNPQRTUVWXY"


def mbi(n: int) -> str:
    """A fictitious member id in the MBI shape (digit, letter, alnum, digit, letter, alnum, digit, 2 letters, 2 digits)."""
    return f"{1 + n % 9}{_LET[n % 20]}{_LET[(n * 3) % 20]}{n % 10}{_LET[(n * 7) % 20]}{_LET[(n * 11) % 20]}" \
           f"{(n * 3) % 10}{_LET[(n * 13) % 20]}{_LET[(n * 17) % 20]}{(n // 10) % 10}{n % 10}"


def patient(n: int, last: str, birth: str) -> dict[str, str]:
    return dict(member_id=mbi(n), patient_last_name=last, patient_first_name=FIRST[n % len(FIRST)],
                birth_date=birth)


DOC = dict(contrast="", order_signed="yes", indication="", report_signed="yes", rendering_credentials="MD",
           history="")


def line(claim_id: str, pt: dict[str, str], number: int, dos: str, code: str, dx: str, charge: str, *,
         pos: str = "11", mods: str = "", units: str = "1", ordering: str = ORD, rendering: str = REND,
         billing: str = BILL, payer: str = "medicare", locality: str = "", indication: str = "",
         history: str = "", **doc: str) -> dict[str, str]:
    r = dict(claim_id=claim_id, line=str(number), payer=payer, service_date=dos, place_of_service=pos,
             procedure_code=code, modifiers=mods, units=units, charge=charge, diagnosis_codes=dx,
             ordering_npi=ordering, rendering_npi=rendering, billing_npi=billing, locality=locality, **pt)
    r.update(DOC)
    r["indication"] = indication
    r["history"] = history
    r.update(doc)
    return r


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLS)
    for r in rows:
        w.writerow([r.get(c, "") for c in COLS])
    path.write_text(buf.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------------------------------------ demo day
M = "13202-01"  # the demo group reads in Manhattan
D = "2026-09-14"
demo: list[dict[str, str]] = []
p = patient(1, "SAMPLE", "1956-04-12")
demo.append(line("RAD-260914-01", p, 1, D, "71250", "R91.1", "425.00", locality=M, contrast="none",
                 indication="Follow-up of 7 mm right upper lobe nodule", history="Prior CT 2026-03-09, nodule 6 mm"))
p = patient(2, "EXAMPLE", "1948-11-30")
demo.append(line("RAD-260914-02", p, 1, D, "71260", "J18.9;R05.1", "120.00", pos="22", mods="26", locality=M,
                 contrast="iv", indication="Pneumonia not resolving after antibiotics",
                 history="Chest X-ray 2026-08-30: right lower lobe consolidation"))
p = patient(3, "DEMO", "1961-02-08")
demo.append(line("RAD-260914-03", p, 1, D, "71250", "R07.89", "425.00", locality=M, contrast="none",
                 indication="Chest pain, evaluate mediastinum", history="No prior chest imaging"))
demo.append(line("RAD-260914-03", p, 2, D, "71260", "R07.89", "600.00", locality=M, contrast="iv",
                 indication="Chest pain, evaluate mediastinum", history="No prior chest imaging"))
p = patient(4, "SPECIMEN", "1947-06-02")
demo.append(line("RAD-260914-04", p, 1, D, "71271", "Z87.891", "310.00", locality=M, contrast="none",
                 indication="Annual lung cancer screening", history="Former smoker, 40 pack-years, quit 2012"))
p = patient(5, "TRIAL", "1959-09-05")
demo.append(line("RAD-260914-05", p, 1, D, "71271", "Z12.2;R05.1", "310.00", locality=M, contrast="none",
                 indication="Lung cancer screening", history="Cough for three weeks"))
p = patient(6, "PILOT", "1952-03-14")
demo.append(line("RAD-260914-06", p, 1, D, "71275", "I26.99", "280.00", pos="23", mods="26", locality=M,
                 contrast="iv", indication="Suspected pulmonary embolism", history="Dyspnea, D-dimer elevated"))
demo.append(line("RAD-260914-06", p, 2, D, "71260", "I26.99", "120.00", pos="23", mods="26", locality=M,
                 contrast="iv", indication="Suspected pulmonary embolism", history="Dyspnea, D-dimer elevated"))
p = patient(7, "MOCKUP", "1958-07-21")
demo.append(line("RAD-260914-07", p, 1, D, "71250", "C34.11", "425.00", pos="22", locality=M, contrast="none",
                 indication="Staging of right upper lobe lung cancer", history="Biopsy 2026-09-01"))
p = patient(8, "FIXTURE", "1966-12-01")
demo.append(line("RAD-260914-08", p, 1, "2026-09-11", "71260", "R05", "600.00", locality=M, contrast="iv",
                 indication="Chronic cough", history="Chest X-ray 2026-08-20 unremarkable"))
p = patient(9, "PLACEHOLDER", "1950-10-19")
demo.append(line("RAD-260914-09", p, 1, "2026-09-11", "71250", "R91.8", "130.00", mods="CT", locality=M,
                 contrast="none", indication="Abnormal chest X-ray", history="Chest X-ray 2026-09-02"))
p = patient(10, "TEMPLATE", "1963-05-27")
demo.append(line("RAD-260914-10", p, 1, "2026-09-10", "71260", "R59.0", "600.00", ordering="", locality=M,
                 contrast="iv", indication="", history="Supraclavicular lymph node on exam"))
p = patient(11, "PROTOTYPE", "1974-08-08")
demo.append(line("RAD-260914-11", p, 1, "2026-09-10", "71271", "F17.210", "310.00", payer="commercial",
                 locality=M, contrast="none", indication="Lung cancer screening, first screen",
                 history="Current smoker, 30 pack-years"))
p = patient(12, "EXEMPLAR", "1955-01-30")
demo.append(line("RAD-260914-12", p, 1, "2026-03-09", "71250", "R91.1", "425.00", locality=M, contrast="none",
                 indication="Follow-up of lung nodule", history=""))
write_csv(ROOT / "samples/csv/chest_ct_demo.csv", demo)

# ------------------------------------------------------------------------------------------------ all rules
A = "2026-09-14"
rows: list[dict[str, str]] = []
n = 100


def claim(rule: str, *lines_spec: dict[str, str], birth: str = "1956-04-12", last: str | None = None) -> None:
    """One claim (one new patient) whose lines are given as keyword dicts for ``line``."""
    global n
    n += 1
    pt = patient(n, "ALLRULES" if last is None else last, birth)
    cid = f"AR-{n - 100:02d}-{rule.replace('_', '-')}"[:40]
    for i, spec in enumerate(lines_spec, 1):
        spec = dict(spec)
        base = dict(dos=A, code="71250", dx="R91.1", charge="425.00", indication="Lung nodule follow-up",
                    history="Prior CT 2026-03-09")
        base.update(spec)
        rows.append(line(cid, pt, i, base.pop("dos"), base.pop("code"), base.pop("dx"), base.pop("charge"),
                         **base))


claim("CLEAN", {})
claim("CODE_DELETED", {"code": "G0297", "dx": "Z87.891", "charge": "310.00"})
claim("CONTRAST_COMBINED_REQUIRED", {}, {"code": "71260", "charge": "600.00"})
claim("CONTRAST_MISMATCH", {"contrast": "iv"})
claim("PTP_BUNDLED", {"code": "71275", "dx": "I26.99", "charge": "700.00"},
      {"code": "71260", "dx": "I26.99", "charge": "600.00"})
claim("UNITS_EXCEED_MUE", {"units": "2", "charge": "850.00"})
claim("DUPLICATE_LINE", {}, {})
claim("MODIFIER_INVALID", {"mods": "FX"})
claim("MODIFIER_CONFLICT", {"mods": "26:TC"})
claim("FACILITY_REQUIRES_26", {"pos": "22"})
claim("REPEAT_WITHOUT_ORIGINAL", {"mods": "76"})
claim("DISTINCT_WITHOUT_PAIR", {"mods": "59"})
claim("REDUCED_SERVICE", {"mods": "52"})
claim("CT_EQUIPMENT_REDUCTION", {"mods": "CT"})
claim("EXPECTED_DENIAL_GZ", {"mods": "GZ"})
claim("EXCLUDED_SERVICE_GY", {"mods": "GY"})
claim("POS_INVALID", {"pos": "35"})
claim("DX_MISSING", {"dx": ""})
claim("DX_INVALID", {"dx": "R05"})
claim("DX_NOT_SUPPORTING", {"dx": "K21.9"})
claim("SCREENING_ON_DIAGNOSTIC_CODE", {"dx": "Z12.2;Z87.891"})
claim("LDCT_AGE", {"code": "71271", "dx": "Z87.891", "charge": "310.00"}, birth="1946-03-01")
claim("LDCT_SMOKING_DX", {"code": "71271", "dx": "Z12.2", "charge": "310.00"})
claim("LDCT_SYMPTOMATIC", {"code": "71271", "dx": "Z87.891;R05.1", "charge": "310.00"})
claim("LDCT_FREQUENCY", {"code": "71271", "dx": "Z87.891", "charge": "310.00", "dos": "2026-03-09"},
      {"code": "71271", "dx": "Z87.891", "charge": "310.00"})
claim("ORDERING_PROVIDER_MISSING", {"ordering": ""})
claim("NPI_INVALID", {"ordering": BAD})
claim("DOC_BENEFICIARY_NAME", {}, last="")
claim("DOC_SERVICE_DATE", {"dos": ""})
claim("DOC_ORDER", {"order_signed": "no"})
claim("DOC_INDICATION", {"indication": ""})
claim("DOC_REPORT", {"report_signed": "no"})
claim("DOC_SIGNATURE", {"rendering_credentials": ""})
claim("DOC_HISTORY", {"history": ""})
claim("DOS_FUTURE", {"dos": "2026-12-07"})
claim("TIMELY_FILING", {"dos": "2025-10-20"})
claim("CHARGE_BELOW_ALLOWED", {"charge": "100.00"})
claim("ROW_MALFORMED", {"units": "two"})
claim("REFDATA_MISSING", {"dos": "2026-10-05"})
write_csv(ROOT / "samples/csv/all_rules.csv", rows)


# ------------------------------------------------------------------------------------------------ JSON twin
def to_json(rows: list[dict[str, str]]) -> dict:
    claims: dict[str, dict] = {}
    for r in rows:
        c = claims.get(r["claim_id"])
        if c is None:
            c = claims[r["claim_id"]] = {"claim_id": r["claim_id"], "payer": r["payer"], "member_id": r["member_id"],
                                         "patient_last_name": r["patient_last_name"],
                                         "patient_first_name": r["patient_first_name"],
                                         "birth_date": r["birth_date"], "billing_npi": r["billing_npi"],
                                         "place_of_service": r["place_of_service"], "lines": []}
            if r["locality"]:
                c["locality"] = r["locality"]
        ln: dict = {"line": int(r["line"]), "procedure_code": r["procedure_code"]}
        if r["modifiers"]:
            ln["modifiers"] = r["modifiers"].replace(":", " ").split()
        try:
            ln["units"] = int(r["units"])
        except ValueError:
            ln["units"] = r["units"]  # kept as text on purpose: the JSON twin of a malformed cell
        ln["charge"] = float(r["charge"])
        ln["service_date"] = r["service_date"] or None
        if r["place_of_service"] != c["place_of_service"]:
            ln["place_of_service"] = r["place_of_service"]
        ln["diagnosis_codes"] = [d for d in r["diagnosis_codes"].split(";") if d]
        if r["ordering_npi"]:
            ln["ordering_npi"] = r["ordering_npi"]
        ln["rendering_npi"] = r["rendering_npi"]
        doc: dict = {}
        if r["contrast"]:
            doc["contrast"] = r["contrast"]
        doc["order_signed"] = r["order_signed"] == "yes"
        doc["indication"] = r["indication"]
        doc["report_signed"] = r["report_signed"] == "yes"
        doc["rendering_credentials"] = r["rendering_credentials"]
        doc["history"] = r["history"]
        ln["documentation"] = doc
        c["lines"].append(ln)
    return {"format": "ctscrub-claims", "version": 1, "claims": list(claims.values())}


(ROOT / "samples/json/all_rules.json").write_text(json.dumps(to_json(rows), indent=2) + "\n", encoding="utf-8")
print(len(demo), "demo rows;", len(rows), "all-rules rows")
