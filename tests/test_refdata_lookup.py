"""Date-effective selection and loading: bundled data, imported datasets, precedence over policy defaults."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from ctscrub.refdata import ENV_DIR, ReferenceData, load_reference_data
from ctscrub.refdata.importers import import_file
from refdata_fixtures import GPCI_2027, MUE, PFS_HEADER_2026, PFS_ROWS_2026, PTP_HEADER, PTP_ROWS, write


@pytest.fixture
def bundled(monkeypatch: pytest.MonkeyPatch) -> ReferenceData:
    monkeypatch.delenv(ENV_DIR, raising=False)
    return load_reference_data()


@pytest.fixture
def imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CTSCRUB_REFDATA_DIR with a 2026Q4 PTP set and a 2026Q4 MUE set imported into it."""
    out = tmp_path / "imported"
    import_file("ncci-ptp", write(tmp_path, "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS), out)
    import_file("mue", write(tmp_path, "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv", MUE), out)
    monkeypatch.setenv(ENV_DIR, str(out))
    return out


def test_bundled_datasets_cover_2025_and_2026_fee_schedules(bundled: ReferenceData) -> None:
    fs25, fs26 = bundled.fee_schedule(date(2025, 12, 31)), bundled.fee_schedule(date(2026, 1, 1))
    assert fs25 is not None and fs25.year == 2025 and str(fs25.conversion_factor) == "32.3465"
    assert fs26 is not None and fs26.year == 2026 and str(fs26.conversion_factor) == "33.4009"
    assert len(fs25) > 19000  # the full 2025 fee schedule
    assert bundled.fee_schedule(date(2024, 12, 31)) is None and bundled.fee_schedule(date(2027, 1, 1)) is None
    g = bundled.gpci(date(2026, 5, 1))
    assert g is not None and g.get("13202-01") is not None and g.label == "CMS GPCI 2026 (GPCI2026.csv)"


def test_icd10cm_fiscal_year_starts_october_first(bundled: ReferenceData) -> None:
    """FY2026 covers 2025-10-01..2026-09-30: the day before has no code set (None and one note)."""
    assert bundled.icd10_billable("R911", date(2025, 10, 1)) is True
    assert bundled.icd10_billable("R05", date(2025, 10, 1)) is False  # header code, not billable
    assert bundled.icd10_billable("R911", date(2026, 9, 30)) is True
    assert bundled.missing_notes() == set()
    assert bundled.icd10_billable("R911", date(2025, 9, 30)) is None
    assert bundled.icd10_billable("J189", date(2025, 9, 1)) is None
    assert bundled.missing_notes() == {
        "No ICD-10-CM code set covers dates of service in FY2025 (2024-10-01 to 2025-09-30); "
        "diagnosis codes on those lines were not validated."}
    assert bundled.icd10_dataset(date(2026, 1, 5)) == "ICD-10-CM FY2026 (icd10cm_codes_2026.txt)"
    assert bundled.icd10_dataset(date(2025, 9, 30)) is None
    assert bundled.icd10_billable("R91.1", None) is True  # no date: the latest code set


def test_each_load_starts_with_no_notes(bundled: ReferenceData) -> None:
    bundled.icd10_billable("R911", date(2024, 1, 1))
    assert bundled.missing_notes()
    assert load_reference_data().missing_notes() == set()
    assert bundled.for_upload().missing_notes() == set()


def test_ptp_from_imported_cms_set_applies_in_its_quarter_only(bundled: ReferenceData, imported: Path) -> None:
    rd = load_reference_data()
    edit = rd.ptp_edit("71275", "71260", date(2026, 11, 2))
    assert edit is not None and edit.modifier_indicator == "1"
    assert edit.dataset == "CMS NCCI practitioner PTP 2026Q4 (ccipra-v323r0-f1.txt)"
    # before the quarter, the CMS set is not in force: the policy default (or nothing) answers
    before = rd.ptp_edit("71275", "71260", date(2026, 9, 30))
    assert before is None or before.dataset != edit.dataset


def test_ptp_deletion_date_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Active when effective <= DOS and (deletion '*' or DOS <= deletion)."""
    out = tmp_path / "d"
    import_file("ncci-ptp", write(tmp_path, "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS), out,
                effective_from=date(2026, 7, 1), effective_to=date(2026, 12, 31), version="test")
    monkeypatch.setenv(ENV_DIR, str(out))
    rd = load_reference_data()
    on_deletion = rd.ptp_edit("71270", "71250", date(2026, 8, 14))
    assert on_deletion is not None and on_deletion.modifier_indicator == "0"
    # after deletion: CMS lists 71270 as column 1, so a pair it no longer holds is no edit at all
    assert rd.ptp_edit("71270", "71250", date(2026, 8, 15)) is None
    assert rd.ptp_edit("71270", "71260", date(2026, 8, 15)).modifier_indicator == "9"  # type: ignore[union-attr]


def test_mue_from_imported_cms_set_with_adjudication_indicator(bundled: ReferenceData, imported: Path) -> None:
    rd = load_reference_data()
    lim = rd.mue("71250", date(2026, 10, 1))
    assert lim is not None and (lim.units, lim.adjudication) == (2, 3)
    assert lim.dataset == "CMS practitioner MUE 2026Q4 (MCR_MUE_PractitionerServices_Eff_10-01-2026.csv)"
    assert rd.mue("71250", date(2026, 12, 31)).units == 2  # type: ignore[union-attr]
    outside = rd.mue("71250", date(2026, 9, 30))
    assert outside is None or outside.dataset != lim.dataset


def test_imported_year_extends_the_bundled_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    import_file("gpci", write(tmp_path, "GPCI2027.csv", GPCI_2027), out)
    monkeypatch.setenv(ENV_DIR, str(out))
    rd = load_reference_data()
    g = rd.gpci(date(2027, 3, 1))
    assert g is not None and g.get("13202-01").work == Decimal("1.100")  # type: ignore[union-attr]
    assert rd.gpci(date(2026, 3, 1)).label == "CMS GPCI 2026 (GPCI2026.csv)"  # type: ignore[union-attr]


def test_a_newer_release_of_the_same_year_takes_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    rows = PFS_ROWS_2026.replace("1.05,2.85,,2.85", "1.10,2.85,,2.85", 1)
    import_file("pfs", write(tmp_path, "PPRRVU2026_Oct.csv", PFS_HEADER_2026 + rows), out,
                effective_from=date(2026, 10, 1), effective_to=date(2026, 12, 31))
    monkeypatch.setenv(ENV_DIR, str(out))
    rd = load_reference_data()
    assert rd.fee_schedule(date(2026, 10, 1)).row("71250").work == Decimal("1.10")  # type: ignore[union-attr]
    assert rd.fee_schedule(date(2026, 9, 30)).row("71250").work == Decimal("1.05")  # type: ignore[union-attr]


def test_unreadable_dataset_file_is_ignored_and_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "d"
    out.mkdir()
    (out / "pfs-broken.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(ENV_DIR, str(out))
    rd = load_reference_data()
    assert rd.fee_schedule(date(2025, 6, 1)) is not None
    assert any("pfs-broken.json" in p for p in rd.problems)


def test_status_lists_datasets_and_marks_the_one_in_force(
        bundled: ReferenceData, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from ctscrub.refdata.cli import add_refdata_commands

    parser = argparse.ArgumentParser()
    add_refdata_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["refdata", "status", "--as-of", "2026-03-01"])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    line26 = next(ln for ln in out.splitlines() if ln.startswith("gpci") and "GPCI2026" in ln)
    line25 = next(ln for ln in out.splitlines() if ln.startswith("gpci") and "GPCI2025" in ln)
    assert "yes" in line26 and "yes" not in line25
    assert "2026-01-01..2026-12-31" in line26 and "GPCI2026.csv" in line26
    assert "ncci-ptp  (none in force on 2026-03-01): the policy-derived default edits" in out


def test_cli_import_refuses_bad_file_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from ctscrub.refdata.cli import add_refdata_commands

    parser = argparse.ArgumentParser()
    add_refdata_commands(parser.add_subparsers(dest="command"))
    bad = write(tmp_path, "GPCI2027.csv", GPCI_2027)
    args = parser.parse_args(["refdata", "import", "pfs", str(bad), "--dir", str(tmp_path / "d")])
    assert args.handler(args) == 2
    assert "refused" in capsys.readouterr().err
    good = write(tmp_path, "PPRRVU2026_x.csv", PFS_HEADER_2026 + PFS_ROWS_2026)
    args = parser.parse_args(["refdata", "import", "pfs", str(good), "--dir", str(tmp_path / "d"),
                              "--version", "2026-test"])
    assert args.handler(args) == 0
    assert (tmp_path / "d" / "pfs-2026-test.json").is_file()


POLICY = Path(__file__).resolve().parents[1] / "layers" / "ctscrub" / "ctscrub" / "refdata" / "data" / "policy"


@pytest.mark.skipif(not (POLICY / "ptp_default.json").exists(), reason="policy default edits absent")
def test_without_a_cms_ptp_set_the_policy_default_edits_apply_and_say_so(bundled: ReferenceData) -> None:
    edit = bundled.ptp_edit("71275", "71250", date(2026, 3, 2))
    assert edit is not None and edit.dataset == "ctscrub policy-derived default edits"
    assert bundled.ptp_edit("71250", "99213", date(2026, 3, 2)) is None


@pytest.mark.skipif(not (POLICY / "ptp_default.json").exists(), reason="policy default edits absent")
def test_a_cms_set_listing_the_column1_code_replaces_the_default(bundled: ReferenceData, imported: Path) -> None:
    """The imported 2026Q4 set lists 71275 as column 1 but not 71275/71250: CMS says no edit."""
    rd = load_reference_data()
    assert rd.ptp_edit("71275", "71250", date(2026, 11, 2)) is None
    assert rd.ptp_edit("71275", "71250", date(2026, 9, 30)).dataset == "ctscrub policy-derived default edits"  # type: ignore[union-attr]


@pytest.mark.skipif(not (POLICY / "mue_default.json").exists(), reason="policy default limits absent")
def test_without_a_cms_mue_set_the_default_limit_applies(bundled: ReferenceData) -> None:
    lim = bundled.mue("71250", date(2026, 3, 2))
    assert lim is not None and lim.units == 1 and "not CMS MUE values" in lim.dataset


def test_the_version_key_names_every_bundled_policy_table_and_changes_exactly_with_the_versions() -> None:
    """Screen and pricing answers are memoized per version key: it must change whenever any table does."""
    from ctscrub.refdata.policy import POLICY_NAMES, load_policy, policy_for

    bundled = Path(__file__).resolve().parents[1] / "layers/ctscrub/ctscrub/refdata/data/policy"
    assert set(POLICY_NAMES) == {p.stem for p in bundled.glob("*.json")}
    rd = load_reference_data()
    assert rd.version_key(None) is None
    # Medicare LDCT ages changed on 2022-02-10: the day before and the day of differ, in the same year.
    assert rd.version_key(date(2022, 2, 9)) != rd.version_key(date(2022, 2, 10))
    # Same versions, same year and fiscal year: the same key.
    assert rd.version_key(date(2026, 3, 2)) == rd.version_key(date(2026, 3, 3))
    # The ICD-10-CM fiscal year (October 1) and the fee schedule year (January 1) are part of the key.
    assert rd.version_key(date(2025, 9, 30)) != rd.version_key(date(2025, 10, 1))
    assert rd.version_key(date(2025, 12, 31)) != rd.version_key(date(2026, 1, 1))
    for name in POLICY_NAMES:  # every version boundary of every policy table changes the key
        for v in load_policy(name)["versions"][1:]:
            day = v["_from"]
            assert policy_for(name, day - timedelta(days=1)) is not policy_for(name, day)
            assert rd.version_key(day - timedelta(days=1)) != rd.version_key(day), (name, day)


def test_the_version_key_changes_where_an_imported_dataset_takes_effect(imported: Path) -> None:
    rd = load_reference_data()
    start = next(m for m in rd.manifests("ncci-ptp")).effective_from
    keys = rd.version_key(start - timedelta(days=1)), rd.version_key(start)
    named = {number: versions for versions, number in rd._versions.items()}  # what each key number stands for
    before, on = named[keys[0]], named[keys[1]]  # type: ignore[index]
    for kind in ("ncci-ptp", "mue"):  # the imported sets in force are part of the key
        ds = rd.dataset_in_force(kind, start)
        assert ds is not None
        named_on = {v[0] if isinstance(v, tuple) else v for v in on}  # a PTP set is (its id, row period)
        named_before = {v[0] if isinstance(v, tuple) else v for v in before}
        assert id(ds) in named_on and id(ds) not in named_before


def test_the_version_key_changes_where_a_cms_ptp_row_starts_or_ends(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """71270/71250 is deleted 2026-08-14 inside a set in force 2026-07-01..2026-12-31."""
    out = tmp_path / "d"
    import_file("ncci-ptp", write(tmp_path, "ccipra-v323r0-f1.txt", PTP_HEADER + PTP_ROWS), out,
                effective_from=date(2026, 7, 1), effective_to=date(2026, 12, 31), version="test")
    monkeypatch.setenv(ENV_DIR, str(out))
    rd = load_reference_data()
    assert rd.version_key(date(2026, 8, 1)) == rd.version_key(date(2026, 8, 14))
    assert rd.version_key(date(2026, 8, 14)) != rd.version_key(date(2026, 8, 15))
    assert rd.version_key(date(2026, 8, 15)) == rd.version_key(date(2026, 9, 30))  # (October 1 starts a new FY)


def test_settle_process_parses_every_table_then_freezes_the_process_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Lambda init and the CLI call it before the first upload: every table is parsed (so no table is
    built later inside an upload, out of the frozen set), a table that fails to parse is left for the upload
    that uses it to fail on as before, and the process is frozen once, not again by a later call."""
    import gc

    import ctscrub.refdata as refdata_module
    from ctscrub.refdata import settle_process, tables

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))  # never freeze the test process for real
    thresholds: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "get_threshold", lambda: (2000, 10, 10))
    monkeypatch.setattr(gc, "set_threshold", lambda *t: thresholds.append(t))
    monkeypatch.setattr(refdata_module, "_settled", False)
    rd = load_reference_data()
    loaded = rd._loaded
    datasets = [ds for kind in loaded.by_kind.values() for ds in kind]
    broken = datasets[0]
    real = tables.TABLE_TYPES[broken.manifest.kind]

    def fails_on_one(ds):  # type: ignore[no-untyped-def]
        if ds is broken:
            raise ValueError("unreadable table")
        return real(ds)

    monkeypatch.setitem(tables.TABLE_TYPES, broken.manifest.kind, fails_on_one)
    settle_process(rd)
    assert frozen == [1]
    assert thresholds == [(refdata_module.GC_YOUNG_THRESHOLD, 10, 10)]  # the young generation only
    assert {id(ds) for ds in datasets} - {id(broken)} <= set(loaded._tables)
    assert id(broken) not in loaded._tables
    with pytest.raises(ValueError, match="unreadable table"):
        loaded.table(broken)  # the upload that needs it fails as it did without settle_process
    settle_process(rd)
    assert frozen == [1]
    assert len(thresholds) == 1


@pytest.mark.parametrize("set_by_the_program", [(0, 10, 10), (50_000, 10, 10)])
def test_settle_process_never_lowers_a_threshold_or_reenables_collection(
        monkeypatch: pytest.MonkeyPatch, set_by_the_program: tuple[int, int, int]) -> None:
    """A program that embeds the scrubber and disabled the collector (threshold 0) or set a higher young
    threshold keeps its setting."""
    import gc

    import ctscrub.refdata as refdata_module
    from ctscrub.refdata import settle_process

    changed: list[tuple[int, ...]] = []
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(gc, "get_threshold", lambda: set_by_the_program)
    monkeypatch.setattr(gc, "set_threshold", lambda *t: changed.append(t))
    monkeypatch.setattr(refdata_module, "_settled", False)
    settle_process(load_reference_data())
    assert changed == []


def test_two_dates_of_one_reference_version_share_their_answers() -> None:
    """Answers are memoized by ``version_key``: two dates with the same year, fiscal year and versions in
    force get one answer, computed once; a date in another fiscal year is asked again."""
    rd = load_reference_data().for_upload()
    assert rd.version_key(date(2026, 3, 2)) == rd.version_key(date(2026, 8, 20))
    assert rd.version_key(date(2026, 3, 2)) != rd.version_key(date(2026, 10, 2))  # FY2027
    assert rd.icd10_billable("R91.1", date(2026, 3, 2)) is True
    assert len(rd._icd10_memo) == 1
    assert rd.icd10_billable("R91.1", date(2026, 8, 20)) is True
    assert len(rd._icd10_memo) == 1
    rd.icd10_billable("R91.1", date(2026, 10, 2))
    assert len(rd._icd10_memo) == 2
