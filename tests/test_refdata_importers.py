"""Importers: CMS's real layouts (when ../shared/refdata/cms is present) and small fixtures, incl. refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from ctscrub.refdata.importers import ImportRefused, import_file, parse_file
from ctscrub.refdata.store import decode
from refdata_fixtures import GPCI_2027, MUE, PFS_HEADER_2026, PFS_ROWS_2026, PTP_HEADER, PTP_ROWS, snapshot, write

CMS = Path(__file__).resolve().parents[2] / "shared" / "refdata" / "cms"
needs_cms = pytest.mark.skipif(not (CMS / "PPRRVU2025_Oct.csv").exists(), reason="CMS reference files absent")


def _row(parsed_rows: list[str], code: str, mod: str = "") -> list[str]:
    return next(r.split(",") for r in parsed_rows if r.startswith(f"{code},{mod},"))


# ----- real CMS files -----

@needs_cms
def test_pfs_2025_full_file_keeps_numbers_only_and_reads_columns_by_header() -> None:
    p = parse_file("pfs", CMS / "PPRRVU2025_Oct.csv")
    assert len(p.rows) > 19000
    assert p.meta["conversion_factor"] == "32.3465"
    assert (p.effective_from, p.effective_to) == (date(2025, 1, 1), date(2025, 12, 31))
    # hcpcs,mod,status,work,pe_nf,pe_f,mp,pctc,mult,family,opps_pe_nf,opps_pe_f,opps_mp,na_nf,na_f
    assert _row(p.rows, "71250") == ["71250", "", "A", "1.08", "2.91", "2.91", "0.06", "1", "4", "88",
                                     "3.66", "3.66", "0.06", "", "1"]
    assert not any("thorax" in r.lower() or "anesth" in r.lower() for r in p.rows)  # no AMA descriptors


@needs_cms
def test_pfs_2026_layout_with_pric_ind_column_is_read_by_header() -> None:
    p = parse_file("pfs", CMS / "PPRRVU2026_Jul_nonQPP.chest_ct_rows.csv")
    assert p.meta["conversion_factor"] == "33.4009"
    assert _row(p.rows, "71275", "TC")[3:13] == ["0.00", "5.87", "5.87", "0.03", "1", "4", "88", "5.34", "5.34",
                                                  "0.03"]


@needs_cms
def test_gpci_addendum_e_skips_footnotes_and_keys_by_mac_and_locality() -> None:
    for name, manhattan in (("GPCI2025.csv", "13202-01,1.065,1.166,1.656,MANHATTAN"),
                            ("GPCI2026.csv", "13202-01,1.064,1.162,1.586,MANHATTAN")):
        p = parse_file("gpci", CMS / name)
        assert manhattan in p.rows
        assert len(p.rows) == 109
        assert all(r[:5].isdigit() for r in p.rows)  # footnote rows are not localities


@needs_cms
def test_oppscap_rows_and_chest_ct_filter() -> None:
    full = parse_file("oppscap", CMS / "OPPSCAP_Oct.csv")
    ct = parse_file("oppscap", CMS / "OPPSCAP_Oct.csv", chest_ct_only=True)
    assert len(full.rows) > 16000
    assert len(ct.rows) == 230 and all(r.startswith("71275,") for r in ct.rows)
    assert "71275,TC,01112-05,251.96,251.96" in ct.rows


@needs_cms
def test_ncci_excerpt_layout_parses_and_version_gives_the_quarter() -> None:
    p = parse_file("ncci-ptp", CMS / "ccipra-v322r0-f1.format_excerpt.txt", all_codes=True)
    assert p.rows[0].split("\t") == ["0001A", "0591T", "20220101", "20231231", "1",
                                     "CPT Manual or CMS manual coding instruction"]
    assert "0001U\t0030U\t20180701\t*\t1\tMisuse of Column Two code with Column One code" in p.rows
    assert (p.effective_from, p.effective_to) == (date(2026, 7, 1), date(2026, 9, 30))  # v32.2 = 2026 Q3


@needs_cms
def test_ncci_excerpt_without_chest_ct_pairs_is_refused_by_default() -> None:
    with pytest.raises(ImportRefused, match="no pair edits involving a chest CT code"):
        parse_file("ncci-ptp", CMS / "ccipra-v322r0-f1.format_excerpt.txt")


@needs_cms
def test_mue_excerpt_multiline_header_and_adjudication_indicator() -> None:
    p = parse_file("mue", CMS / "MCR_MUE_PractitionerServices_Eff_07-01-2026.format_excerpt.csv")
    assert p.rows[:2] == ["0001U,1,2,Code Descriptor / CPT Instruction", "0002M,1,3,Nature of Analyte"]
    assert (p.effective_from, p.effective_to) == (date(2026, 7, 1), date(2026, 9, 30))


@needs_cms
def test_icd10cm_fy2026_code_list() -> None:
    p = parse_file("icd10cm", CMS / "icd10cm_codes_2026.txt")
    assert len(p.rows) == 74719
    assert {"R911", "Z87891", "C3411"} <= set(p.rows) and "R05" not in p.rows  # R05 is a header code
    assert (p.version, p.effective_from, p.effective_to) == ("FY2026", date(2025, 10, 1), date(2026, 9, 30))


# ----- fixtures -----

def test_import_writes_a_versioned_dataset_with_manifest(tmp_path: Path) -> None:
    src = write(tmp_path, "PPRRVU2026_test.csv", PFS_HEADER_2026 + PFS_ROWS_2026)
    out = tmp_path / "data"
    ds = import_file("pfs", src, out)
    assert ds.path is not None and ds.path.parent == out
    again = decode(ds.path.read_text("utf-8"))
    m = again.manifest
    assert (m.kind, m.rows, m.source, m.effective_from, m.effective_to) == (
        "pfs", 3, "PPRRVU2026_test.csv", date(2026, 1, 1), date(2026, 12, 31))
    assert m.imported_at and m.label == "CMS PFS 2026 (PPRRVU2026_test.csv)"
    assert again.meta["conversion_factor"] == "33.4009"


def test_gpci_fixture_footnotes_skipped(tmp_path: Path) -> None:
    p = parse_file("gpci", write(tmp_path, "GPCI2027.csv", GPCI_2027))
    assert p.rows == ["13202-01,1.100,1.200,1.500,MANHATTAN", "10112-00,1.000,0.900,0.500,ALABAMA"]
    assert p.effective_from == date(2027, 1, 1)


def test_ptp_fixture_keeps_chest_ct_pairs_with_dates_and_indicator(tmp_path: Path) -> None:
    p = parse_file("ncci-ptp", write(tmp_path, "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS))
    assert len(p.rows) == 3  # the 0001A pair does not involve a chest CT code
    assert "71270\t71250\t20100101\t20260814\t0\tMutually exclusive procedures" in p.rows
    assert p.effective_from == date(2026, 10, 1)


def test_mue_fixture_reads_quoted_multiline_header(tmp_path: Path) -> None:
    p = parse_file("mue", write(tmp_path, "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv", MUE))
    assert p.rows == ["71250,2,3,Clinical: Data", "71271,1,2,Nature of Service/Procedure"]


def test_icd10cm_order_file_keeps_billable_codes_only(tmp_path: Path) -> None:
    text = ("00001 A00     0 Cholera                  Cholera\n"
            "00002 A000    1 Cholera due to V cholerae Cholera due to Vibrio cholerae\n"
            "00003 R911    1 Solitary pulmonary nodule Solitary pulmonary nodule\n")
    p = parse_file("icd10cm", write(tmp_path, "icd10cm_order_2027.txt", text))
    assert p.rows == ["A000", "R911"] and p.version == "FY2027"


BAD_FILES = [
    ("pfs", "PPRRVU2026_x.csv", PFS_HEADER_2026.replace("MULT", "MULTI") + PFS_ROWS_2026, "MULT PROC"),
    ("pfs", "PPRRVU2026_x.csv", PFS_HEADER_2026 + PFS_ROWS_2026.replace("1.05,2.85", "1.05,abc"), "not a number"),
    ("pfs", "PPRRVU2026_x.csv", PFS_HEADER_2026, "no fee schedule rows"),
    ("pfs", "PPRRVU2026_x.csv", GPCI_2027, "HCPCS,MOD"),
    ("pfs", "PPRRVU2026_x.csv", "", "empty"),
    ("gpci", "GPCI2027.csv", GPCI_2027.replace("1.200", "1,2OO"), "not a number"),
    ("ncci-ptp", "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS.replace("20210101", "2021-01-01"), "YYYYMMDD"),
    ("ncci-ptp", "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS.replace("\t1\tMisuse", "\t5\tMisuse"), "0, 1 or 9"),
    ("mue", "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv", MUE.replace(",2,3 Date", ",two,3 Date"),
     "whole number"),
    ("mue", "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv", MUE.replace("3 Date of", "Date of"), "1, 2 or 3"),
    ("icd10cm", "icd10cm_codes_2027.txt", "R911\nR9#1\n", "not an ICD-10-CM code"),
    ("oppscap", "OPPSCAP_2027.csv", "HCPCS,MOD,CARRIER,LOCALITY\n71275,,01112,05\n", "FACILITY PRICE"),
]


@pytest.mark.parametrize(("kind", "name", "text", "reason"), BAD_FILES)
def test_bad_files_are_refused_with_a_reason_and_leave_data_untouched(
        tmp_path: Path, kind: str, name: str, text: str, reason: str) -> None:
    out = tmp_path / "data"
    good = write(tmp_path, "PPRRVU2026_good.csv", PFS_HEADER_2026 + PFS_ROWS_2026)
    import_file("pfs", good, out)
    before = snapshot(out)
    with pytest.raises(ImportRefused, match=reason):
        import_file(kind, write(tmp_path, name, text), out, effective_from=date(2027, 1, 1))
    assert snapshot(out) == before  # same files, same bytes, no temporary leftovers


def test_binary_file_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "PPRRVU2026.zip"
    src.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ImportRefused, match="binary or compressed"):
        import_file("pfs", src, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_oppscap_without_a_year_needs_effective_from(tmp_path: Path) -> None:
    src = write(tmp_path, "OPPSCAP_Oct.csv", "HCPCS,MOD,PROCSTAT,CARRIER,LOCALITY,FACILITY PRICE,NON-FACILTY PRICE\n"
                                            "71275,,A,01112,05,347.29,347.29\n")
    with pytest.raises(ImportRefused, match="--effective-from"):
        import_file("oppscap", src, tmp_path / "data")
    ds = import_file("oppscap", src, tmp_path / "data", effective_from=date(2025, 1, 1),
                     effective_to=date(2025, 12, 31))
    assert ds.manifest.label == "CMS OPPS cap 2025 (OPPSCAP_Oct.csv)" and ds.manifest.rows == 1


def test_effective_to_before_from_is_refused(tmp_path: Path) -> None:
    src = write(tmp_path, "PPRRVU2026_x.csv", PFS_HEADER_2026 + PFS_ROWS_2026)
    with pytest.raises(ImportRefused, match="before it starts"):
        import_file("pfs", src, tmp_path / "data", effective_from=date(2026, 6, 1), effective_to=date(2026, 1, 1))
    assert not list((tmp_path / "data").glob("*")) if (tmp_path / "data").exists() else True


def test_effective_to_defaults_to_the_end_of_the_period_never_open_ended(tmp_path: Path) -> None:
    """A mid-year PFS release given only --effective-from ends with its year; an MUE set with its quarter."""
    src = write(tmp_path, "PPRRVU2026_Oct.csv", PFS_HEADER_2026 + PFS_ROWS_2026)
    ds = import_file("pfs", src, tmp_path / "d", effective_from=date(2026, 10, 1))
    assert (ds.manifest.effective_from, ds.manifest.effective_to) == (date(2026, 10, 1), date(2026, 12, 31))
    mue = write(tmp_path, "mue_nodate.csv", MUE)
    ds = import_file("mue", mue, tmp_path / "d", effective_from=date(2027, 1, 1))
    assert ds.manifest.effective_to == date(2027, 3, 31)
    icd = write(tmp_path, "codes.txt", "R911\nZ87891\n")
    ds = import_file("icd10cm", icd, tmp_path / "d", effective_from=date(2026, 10, 1))
    assert ds.manifest.effective_to == date(2027, 9, 30)
