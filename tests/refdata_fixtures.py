"""Small CMS-layout files the reference-data tests write themselves (no AMA descriptors needed)."""

from __future__ import annotations

from pathlib import Path

PFS_HEADER_2026 = (
    ",,2026 National Physician Fee Schedule Relative Value File July Release,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
    ",,RELEASED 06/30/2026,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n"
    ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,NON-FACILITY,FACILITY,\n"
    ",,,,NOT USED,,,,,,,,,,,,,,,,,,,,,,PHYSICIAN,,DIAGNOSTIC,PE USED,PE USED,MP USED\n"
    ",,,,FOR,,,NON-FAC,,FACILITY,,,,,,,,,,,,,,,,,SUPERVISION OF,,IMAGING,FOR OPPS,FOR OPPS,FOR OPPS\n"
    ",,,STATUS,MEDICARE,WORK,NON-FAC,NA,FACILITY,NA,MP,NON-FACILITY,FACILITY,PCTC,GLOB,PRE,INTRA,POST,MULT,"
    "BILAT,ASST,CO-,TEAM,PRIC,ENDO,CONV,DIAGNOSTIC,CALCULATION,FAMILY,PAYMENT,PAYMENT,PAYMENT\n"
    "HCPCS,MOD,DESCRIPTION,CODE,PAYMENT,RVU,PE RVU,INDICATOR,PE RVU,INDICATOR,RVU,TOTAL,TOTAL,IND,DAYS,OP,OP,OP,"
    "PROC,SURG,SURG,SURG,SURG,IND,BASE,FACTOR,PROCEDURES,FLAG,INDICATOR,AMOUNT,AMOUNT,AMOUNT\n"
)
PFS_ROWS_2026 = (
    "71250,,x,A,,1.05,2.85,,2.85,NA,0.07,3.97,3.97,1,XXX,0.00,0.00,0.00,4,0,0,0,0,9,,33.4009,09,0,88,3.55,3.55,0.07\n"
    "71250,26,x,A,,1.05,0.37,,0.37,,0.06,1.48,1.48,1,XXX,0.00,0.00,0.00,4,0,0,0,0,9,,33.4009,09,0,88,0.00,0.00,0.00\n"
    "71250,TC,x,A,,0.00,2.48,,2.48,NA,0.01,2.49,2.49,1,XXX,0.00,0.00,0.00,4,0,0,0,0,9,,33.4009,01,0,88,3.18,3.18,0.01\n"
)

GPCI_2027 = (
    "ADDENDUM E. FINAL CY 2027 GEOGRAPHIC PRACTICE COST INDICES (GPCIs),,,,,,\n"
    ",,,,,,\n"
    "Medicare Administrative Contractor (MAC),State,Locality Number,Locality Name,2027 PW GPCI (with 1.0 Floor),"
    "2027 PE GPCI,2027 MP GPCI\n"
    "13202,NY,01,MANHATTAN,1.100,1.200,1.500\n"
    "10112,AL,00,ALABAMA,1.000,0.900,0.500\n"
    ",,,,,,\n"
    "*Work GPCI reflects a 1.5 floor in Alaska established by the MIPPA.,,,,,,\n"
)

PTP_HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\n"
    "\t\t\t\t*=no data\t1=allowed\t\n"
    "\t\t\t\t\t9=not applicable\t\n"
)
PTP_ROWS = (
    "71275\t71260\t\t20210101\t*\t1\tMisuse of Column Two code with Column One code\n"
    "71270\t71250\t\t20100101\t20260814\t0\tMutually exclusive procedures\n"
    "71270\t71260\t\t20100101\t*\t9\tMutually exclusive procedures\n"
    "0001A\t0591T\t\t20220101\t20231231\t1\tCPT Manual or CMS manual coding instruction\n"
)

MUE = (
    '"Current Procedural Terminology (CPT) codes ... copyright 2025 American Medical Association.",,,\n'
    '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\n'
    "71250,2,3 Date of Service Edit: Clinical,Clinical: Data\n"
    "71271,1,2 Date of Service Edit: Policy,Nature of Service/Procedure\n"
)


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in ``directory`` with its bytes, to show an import left it untouched."""
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())} if directory.is_dir() else {}
