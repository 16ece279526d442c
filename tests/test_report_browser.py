"""The rendered report in a real browser: headless Chromium shows the numbers of summary.json.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
from datetime import date
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path

import pytest
from ctscrub.model import ClaimResult, Finding, LinePrice, Payer
from ctscrub.pipeline import UploadSummary
from ctscrub.report import ReportSink
from ctscrub.rules import finding
from ctscrub.rules.catalog import RULES
from test_report_html import assert_metrics_match, metrics_in

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


def _chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          check=True, capture_output=True, text=True, timeout=120)


def _synthetic_report() -> ReportSink:
    """Twelve claims of mixed findings and amounts, a listing cap of 5 and a file-level finding."""
    sink = ReportSink(max_claims=5, clock=lambda: "2026-06-30T12:00:00Z")
    s = UploadSummary(upload_id="u-browser", source="uploads/june/batch-42.csv", format="csv-v1")
    patterns = [("DX_MISSING",), ("DX_NOT_SUPPORTING",), ("PTP_BUNDLED", "CT_EQUIPMENT_REDUCTION"), (),
                ("ORDERING_PROVIDER_MISSING",), ("NPI_INVALID", "DX_NOT_SUPPORTING")]
    for i in range(12):
        cid = f"PCN{1000 + i}"
        allowed = Decimal("1131.45") + i
        line = None if "ORDERING_PROVIDER_MISSING" in patterns[i % 6] else 1
        fs = [Finding(r, RULES[r].severity, cid, line, "71250", RULES[r].title, "Fix.", RULES[r].source)
              for r in patterns[i % 6]]
        r = ClaimResult(cid, fs, [LinePrice(cid, 1, "71250", (), allowed, "PFS", "t")], 2, 1, Payer.MEDICARE)
        s.claims += 1
        s.lines += r.line_count
        s.chest_ct_lines += r.chest_ct_line_count
        s.claims_with_errors += 1 if r.error_count else 0
        for f in fs:
            s.by_severity[f.severity.value] += 1
            s.by_rule[f.rule] += 1
        s.expected_allowed += allowed
        s.amount_at_stake += r.amount_at_stake()
        sink.claim(r)
    s.file_findings.append(finding("REFDATA_MISSING", None, None, "No PTP file covers 2026Q3.", "Import it."))
    s.by_severity["info"] += 1
    s.by_rule["REFDATA_MISSING"] += 1
    sink.finish(s)
    return sink


def _pipeline_report() -> ReportSink:
    if find_spec("ctscrub.formats.csv_v1") is None or find_spec("ctscrub.payment") is None:
        pytest.skip("the CSV reader or pricing is not there yet")
    from ctscrub.pipeline import ScrubOptions, scrub
    from ctscrub.refdata import load_reference_data
    from test_report_sink import CSV_INPUT

    sink = ReportSink()
    scrub(io.BytesIO(CSV_INPUT.encode()), ScrubOptions(as_of=date(2026, 4, 1), refdata=load_reference_data()),
          [sink], upload_id="u-pipe", source_name="pipe.csv")
    return sink


@pytest.mark.parametrize("build", [_synthetic_report, _pipeline_report], ids=["synthetic", "pipeline"])
def test_numbers_shown_in_chromium_match_summary_json(tmp_path: Path, build) -> None:  # type: ignore[no-untyped-def]
    sink = build()
    out = sink.outputs()
    sink.close()
    page = tmp_path / "report.html"
    page.write_bytes(out["report.html"])
    summary = json.loads(out["summary.json"])

    dom = _chromium(tmp_path, page, "--dump-dom").stdout
    assert "<svg" in dom and "Chest CT claim scrub report" in dom
    paths = assert_metrics_match(dom, summary)
    for key in ("claims", "claims_with_errors", "by_severity.error", "by_severity.warning", "by_severity.info",
                "expected_allowed", "amount_at_stake", "findings"):
        assert key in paths, key
    assert {p for p in paths if p.startswith("by_rule.")} == {f"by_rule.{r}" for r in summary["by_rule"]}
    listed = {p.split(".")[1] for p in paths if p.startswith("claim_digests.")}
    assert len(listed) == summary["claims_listed"] == len(summary["claim_digests"])
    _m, facts = metrics_in(dom)
    assert facts["source"] == summary["source"]
    assert facts["ruleset_version"] == summary["ruleset_version"]


def test_synthetic_report_lists_five_claims_and_counts_the_rest(tmp_path: Path) -> None:
    sink = _synthetic_report()
    page = tmp_path / "r.html"
    page.write_bytes(sink.outputs()["report.html"])
    sink.close()
    metrics = dict(metrics_in(_chromium(tmp_path, page, "--dump-dom").stdout)[0])
    assert metrics["claims_listed"] == "5"
    assert metrics["claims_not_listed"] == "5"  # ten flagged claims, two of the twelve are clean
    # errors first, then dollars: the error claim with the largest amount is PCN1011 ($1,131.45 + 11)
    assert metrics["claim_digests.0.amount_at_stake"] == "$1,142.45"


def test_screenshot_is_a_png_of_the_requested_width(tmp_path: Path) -> None:
    sink = _synthetic_report()
    page = tmp_path / "r.html"
    page.write_bytes(sink.outputs()["report.html"])
    sink.close()
    png = tmp_path / "shot.png"
    _chromium(tmp_path, page, f"--screenshot={png}", "--window-size=1280,1600", "--hide-scrollbars")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600)
    assert len(data) > 20_000  # a rendered page, not a blank image
