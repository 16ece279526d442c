"""The upload report (summary.json, report.html, findings.csv) written to S3 under ``reports/<upload_id>/``.

A pipeline sink wrapping ``ctscrub.report.ReportSink``: when the upload ends (processed or rejected) it
puts the three files. Keys depend only on the upload id, so a retried upload overwrites its report. The
objects get the bucket's default encryption (SSE-KMS with the stack's key); the S3 trigger watches only
the incoming prefix, so these writes never start the function (and the handler skips such keys anyway).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ctscrub.model import ClaimResult
from ctscrub.report import CONTENT_TYPES, ReportSink

if TYPE_CHECKING:
    from ctscrub.pipeline import UploadSummary

REPORT_ORDER = ("findings.csv", "report.html", "summary.json")  # summary last: its presence means complete


def report_prefix(prefix: str, upload_id: str) -> str:
    base = prefix if prefix.endswith("/") else prefix + "/"
    return f"{base}{upload_id}/"


class S3ReportSink:
    def __init__(self, s3: Any, bucket: str, prefix: str, upload_id: str, report: ReportSink | None = None) -> None:
        self._s3 = s3
        self._bucket = bucket
        self.prefix = report_prefix(prefix, upload_id)
        self._report = report or ReportSink()
        self.keys: list[str] = []
        self._closed = False

    def claim(self, result: ClaimResult) -> None:
        self._report.claim(result)

    def finish(self, summary: UploadSummary) -> None:
        self._report.finish(summary)
        try:
            for name in REPORT_ORDER:
                key = self.prefix + name
                body: Any
                if name == "findings.csv":
                    # the sink's temporary file, streamed: large uploads never hold the CSV in memory
                    body = self._report.open_findings_csv()
                elif name == "summary.json":
                    body = self._report.summary_json()
                else:
                    body = self._report.html().encode("utf-8")
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=CONTENT_TYPES[name])
                self.keys.append(key)
        finally:
            self.close()

    def close(self) -> None:
        """Delete the report's temporary file (once; safe to call again)."""
        if not self._closed:
            self._closed = True
            self._report.close()
