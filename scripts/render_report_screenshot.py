"""Render a sample upload report and take a PNG screenshot of it with headless Chromium.

    .venv/bin/python scripts/render_report_screenshot.py                 # synthetic sample upload
    .venv/bin/python scripts/render_report_screenshot.py --file claims.csv --as-of 2026-04-01
    .venv/bin/python scripts/render_report_screenshot.py --bench 100000   # time and memory, no browser

Writes docs/report-example.png (override with --png; --html keeps the page too). The sample
claims are made up and carry no patient data; ``--file`` runs the real pipeline on a claim file instead
(it needs the readers and the bundled reference data).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "ctscrub"))

from ctscrub.model import ClaimResult, Finding, LinePrice, Payer, Severity  # noqa: E402
from ctscrub.pipeline import UploadSummary  # noqa: E402
from ctscrub.report import ReportSink  # noqa: E402
from ctscrub.rules.catalog import RULES  # noqa: E402

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")

# (weight, findings) per sample claim pattern, findings as (rule, line or None, message); amounts follow
# the 2026 national fee schedule.
_PATTERNS: list[tuple[int, list[tuple[str, int | None, str]]]] = [
    (40, []),
    (9, [("CT_EQUIPMENT_REDUCTION", 1, "Modifier CT: the technical component is paid 15% less.")]),
    (8, [("DX_NOT_SUPPORTING", 1, "None of the diagnosis codes supports a chest CT under LCD L33459.")]),
    (7, [("CONTRAST_COMBINED_REQUIRED", 2, "71250 and 71260 are billed for the same session; bill 71270 once.")]),
    (6, [("DX_MISSING", 1, "No diagnosis code points to this line.")]),
    (5, [("PTP_BUNDLED", 2, "71250 is bundled into 71275 on the same date and cannot be billed separately.")]),
    (4, [("CHARGE_BELOW_ALLOWED", 1, "The charge is below the Medicare fee schedule amount.")]),
    (3, [("LDCT_SMOKING_DX", 1, "71271 lung cancer screening needs Z87.891 or an F17.21x tobacco code."),
         ("LDCT_SYMPTOMATIC", 1, "The screening line also carries a symptom code (R05.1).")]),
    (3, [("ORDERING_PROVIDER_MISSING", None, "No ordering provider is named on the claim.")]),
    (2, [("FACILITY_REQUIRES_26", 1, "Global 71260 billed in an inpatient hospital (POS 21); bill -26 only.")]),
    (2, [("EXPECTED_DENIAL_GZ", 1, "Modifier GZ: Medicare is expected to deny this line; the provider is liable.")]),
    (1, [("TIMELY_FILING", None, "The date of service is more than 12 months before the processing date.")]),
]
_FEES = {"71250": Decimal("132.60"), "71260": Decimal("160.81"), "71270": Decimal("194.01"),
         "71271": Decimal("120.77"), "71275": Decimal("213.62")}
_CODES = ("71250", "71260", "71275", "71250", "71270", "71260", "71250")


def sample_results(n_claims: int = 180) -> list[ClaimResult]:
    """Made-up claim results with a realistic mix: most clean, a long tail of rarer findings."""
    deck = [p for weight, p in _PATTERNS for _ in range(weight)]
    out = []
    for i in range(n_claims):
        cid = f"PCN{26031000 + i}"
        pattern = deck[(i * 37) % len(deck)]  # 37 is coprime with the deck size: a fixed shuffle
        code = "71271" if any(r.startswith("LDCT") for r, _l, _m in pattern) else _CODES[i % len(_CODES)]
        prices = [LinePrice(cid, 1, code, (), _FEES[code], "PFS 2026 national, global", "sample")]
        if any(line == 2 for _r, line, _m in pattern):
            second = "71260" if code == "71250" else "71250"
            prices.append(LinePrice(cid, 2, second, (), _FEES[second], "PFS 2026 national, global", "sample"))
        findings = []
        for rule, line, msg in pattern:
            info = RULES[rule]
            amount = sum((p.allowed or Decimal(0) for p in prices if line is None or p.line == line), Decimal(0))
            findings.append(Finding(rule, info.severity, cid, line, code if line else None, msg,
                                    "See the rule's source and correct the claim.", info.source,
                                    amount_at_stake=amount if info.severity is Severity.ERROR else None))
        out.append(ClaimResult(cid, findings, prices, len(prices) + 1, len(prices), Payer.MEDICARE))
    return out


def sample_report(n_claims: int = 180) -> ReportSink:
    sink = ReportSink(clock=lambda: "2026-11-28T06:00:00Z")
    summary = UploadSummary(upload_id="7c1e2f4a-sample", source="uploads/2026-11/radiology-group-batch-118.csv",
                            format="csv-v1", started=time.time())
    for r in sample_results(n_claims):  # the pipeline's own accounting, so the sample adds up
        summary.claims += 1
        summary.lines += r.line_count
        summary.chest_ct_lines += r.chest_ct_line_count
        for f in r.findings:
            summary.by_severity[f.severity.value] += 1
            summary.by_rule[f.rule] += 1
        summary.claims_with_errors += 1 if r.error_count else 0
        summary.expected_allowed += sum((p.allowed for p in r.prices if p.allowed is not None), Decimal(0))
        summary.amount_at_stake += r.amount_at_stake()
        sink.claim(r)
    refdata_note = Finding("REFDATA_MISSING", Severity.INFO, None, None, None,
                           "No NCCI PTP file is loaded for 2026Q4; the policy-derived default edits were used.",
                           "Import the quarter's file with `ctscrub refdata import ptp FILE`.",
                           RULES["REFDATA_MISSING"].source)
    summary.file_findings.append(refdata_note)
    summary.by_severity["info"] += 1
    summary.by_rule["REFDATA_MISSING"] += 1
    summary.seconds = 0.042
    sink.finish(summary)
    return sink


def pipeline_report(path: Path, as_of: date) -> ReportSink:
    from ctscrub.pipeline import ScrubOptions, scrub
    from ctscrub.refdata import load_reference_data

    sink = ReportSink()
    with path.open("rb") as fh:
        scrub(fh, ScrubOptions(as_of=as_of, refdata=load_reference_data()), [sink], upload_id=path.stem,
              source_name=path.name)
    return sink


def screenshot(html_path: Path, png_path: Path, chromium: str, size: str = "1280,1600") -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(  # noqa: S603 - fixed flags, our own file paths
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
             f"--screenshot={png_path}", html_path.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )


def bench(n_claims: int) -> None:
    """Time and peak traced memory of building the report for n sample claims (CSV streamed, not read)."""
    import tracemalloc

    results = sample_results(n_claims)
    for traced in (False, True):
        if traced:
            tracemalloc.start()
        t0 = time.perf_counter()
        sink = ReportSink()
        summary = UploadSummary(upload_id="bench", source="bench.csv")
        for r in results:
            summary.claims += 1
            for f in r.findings:
                summary.by_severity[f.severity.value] += 1
                summary.by_rule[f.rule] += 1
            sink.claim(r)
        sink.finish(summary)
        page, doc = sink.html(), sink.summary_json()
        csv_size = sink.open_findings_csv().seek(0, 2)
        dt = time.perf_counter() - t0
        if traced:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"  peak traced memory {peak / 1e6:.1f} MB")
        else:
            print(f"{n_claims:,} claims, {sink.finding_rows:,} findings: report built in {dt * 1000:.0f} ms; "
                  f"html {len(page) / 1e3:.0f} kB, summary.json {len(doc) / 1e3:.0f} kB, "
                  f"findings.csv {csv_size / 1e6:.1f} MB")
        sink.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", type=Path, help="run the pipeline on this claim file instead of the sample")
    p.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    p.add_argument("--html", type=Path, default=None, help="also keep the HTML here (default: a temp file)")
    p.add_argument("--png", type=Path, default=ROOT / "docs" / "report-example.png")
    p.add_argument("--window-size", default="1280,1600")
    p.add_argument("--bench", type=int, metavar="N", help="only measure building the report for N claims")
    args = p.parse_args(argv)
    if args.bench:
        bench(args.bench)
        return 0
    t0 = time.perf_counter()
    sink = pipeline_report(args.file, args.as_of) if args.file else sample_report()
    page = sink.html()
    t_render = time.perf_counter() - t0
    work = tempfile.TemporaryDirectory()
    html_path: Path = args.html or Path(work.name) / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(page, encoding="utf-8")
    print(f"report: {html_path} ({len(page.encode()):,} bytes, built in {t_render * 1000:.1f} ms)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: install Debian's chromium for the screenshot", file=sys.stderr)
        return 1
    t1 = time.perf_counter()
    args.png.parent.mkdir(parents=True, exist_ok=True)
    screenshot(html_path, args.png, chromium, args.window_size)
    print(f"screenshot: {args.png} ({args.png.stat().st_size:,} bytes, {time.perf_counter() - t1:.1f} s)")
    sink.close()
    work.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
