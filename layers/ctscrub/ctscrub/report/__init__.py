"""The upload report: a JSON summary, a CSV of findings and a self-contained HTML page.

Two ways in: ``ReportSink`` as a pipeline sink (bounded memory, for Lambda and the CLI), or
``write_reports`` / ``render_html`` when the summary and the claim results are already in hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ctscrub.model import ClaimResult, Finding
from ctscrub.report.csv_findings import escape_cell, findings_csv
from ctscrub.report.html import render_document
from ctscrub.report.sink import REPORT_FILES, ReportSink
from ctscrub.report.summary import build_report

if TYPE_CHECKING:
    from ctscrub.pipeline import UploadSummary

CONTENT_TYPES = {
    "summary.json": "application/json",
    "findings.csv": "text/csv; charset=utf-8",
    "report.html": "text/html; charset=utf-8",
}


def _summary_dict(summary: UploadSummary | Mapping[str, object]) -> Mapping[str, object]:
    return summary if isinstance(summary, Mapping) else summary.to_dict()


def render_html(summary: UploadSummary | Mapping[str, object], claims: Iterable[ClaimResult] = (),
                *, processed_at: str | None = None) -> str:
    """The HTML page for an upload summary (``UploadSummary`` or its ``to_dict()``) and its claim results."""
    return render_document(build_report(_summary_dict(summary), claims, processed_at=processed_at))


def write_reports(summary: UploadSummary | Mapping[str, object], claims: Iterable[ClaimResult] = (),
                  *, processed_at: str | None = None) -> dict[str, bytes]:
    """All three report files for results already in memory: ``{file name: bytes}``."""
    results = list(claims)
    d = _summary_dict(summary)
    doc = build_report(d, results, processed_at=processed_at)
    file_level: list[Finding | Mapping[str, object]] = []
    if d.get("rejection"):
        file_level.append(d["rejection"])  # type: ignore[arg-type]
    file_level.extend(d.get("file_findings") or [])  # type: ignore[arg-type]
    rows: list[Finding | Mapping[str, object]] = [f for r in results for f in r.findings]
    return {
        "summary.json": json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8") + b"\n",
        "findings.csv": findings_csv([*rows, *file_level]),
        "report.html": render_document(doc).encode("utf-8"),
    }


__all__ = ["CONTENT_TYPES", "REPORT_FILES", "ReportSink", "escape_cell", "render_html", "write_reports"]
