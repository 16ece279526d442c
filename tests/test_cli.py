"""The ``ctscrub`` command line: exit codes, output formats and options (issue 2, "CLI")."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from ctscrub.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
DEMO = ROOT / "samples" / "csv" / "chest_ct_demo.csv"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_clean_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "validate", str(SCENARIOS / "clean_office_71250.csv"), "--as-of", "2026-07-15")
    assert code == 0
    assert "processed (csv-v1)" in out and "ERROR" not in out


def test_errors_exit_1_and_json_carries_status_findings_and_prices(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "validate", str(DEMO), "--as-of", "2026-11-28", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "processed" and doc["format"] == "csv-v1"
    fields = {"rule", "severity", "claim_id", "line", "code", "message", "suggestion", "source"}
    assert fields <= set(doc["findings"][0])
    assert any(f["rule"] == "CONTRAST_COMBINED_REQUIRED" and f["severity"] == "error" for f in doc["findings"])
    assert all(p["expected_allowed"] for p in doc["prices"])


def test_rejected_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("this is not a claim file\n")
    code, out = run(capsys, "validate", str(bad), "--format", "json")
    assert code == 2
    doc = json.loads(out)
    assert doc["status"] == "rejected" and doc["findings"][0]["rule"] == "FILE_UNSUPPORTED_FORMAT"


@pytest.mark.parametrize("argv", [["validate"], ["validate", "x.csv", "--as-of", "2026-13-01"],
                                  ["validate", "x.csv", "--locality", "Manhattan"], ["frobnicate"]])
def test_wrong_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "absent.csv")]) == 2


def test_locality_option_prices_claims_that_name_none(capsys: pytest.CaptureFixture[str]) -> None:
    """71250 global 2026: $132.60 national, $151.64 in Manhattan (13202-01) (domain file, worked checks)."""
    path = str(SCENARIOS / "clean_office_71250.csv")
    _, national = run(capsys, "validate", path, "--as-of", "2026-07-15", "--format", "json")
    _, manhattan = run(capsys, "validate", path, "--as-of", "2026-07-15", "--format", "json",
                       "--locality", "13202-01")
    price = json.loads(national)["prices"][0]
    assert price["code"] == "71250" and not price["modifiers"]
    assert price["expected_allowed"] == "132.60"
    assert json.loads(manhattan)["prices"][0]["expected_allowed"] == "151.64"


def test_csv_output_escapes_formula_cells(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "validate", str(DEMO), "--as-of", "2026-11-28", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["rule", "severity", "claim_id"] and len(rows) > 1
    assert not any(cell[:1] in "=+-@" for row in rows[1:] for cell in row if cell)


def test_html_output_is_a_self_contained_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "validate", str(DEMO), "--as-of", "2026-11-28", "--format", "html")
    assert code == 1
    assert out.lstrip().lower().startswith("<!doctype html")
    assert "<script" not in out and "src=\"http" not in out and "href=\"http" not in out  # no external assets


def test_rules_lists_every_catalog_id(capsys: pytest.CaptureFixture[str]) -> None:
    from ctscrub.rules.catalog import RULES

    code, out = run(capsys, "rules")
    assert code == 0 and all(f"`{rid}`" in out for rid in RULES)


def test_docs_rules_is_in_sync_with_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "rules")
    assert out in (ROOT / "docs" / "RULES.md").read_text("utf-8")


def test_refdata_status_names_the_bundled_datasets(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "refdata", "status", "--as-of", "2026-03-01")
    assert code == 0 and "pfs" in out and "icd10cm" in out


def test_local_runs_the_main_job_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's first command: the file goes through the real handler on an embedded moto stack."""
    code, out = run(capsys, "local", str(DEMO), "--as-of", "2026-11-28")
    assert code == 0
    assert "status COMPLETED" in out and "claim.findings" in out and "CONTRAST_COMBINED_REQUIRED" in out
