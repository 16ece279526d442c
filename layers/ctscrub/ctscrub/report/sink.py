"""The report as a pipeline sink: builds the three report files while the upload is checked.

Memory stays bounded on large uploads: finding rows go to a temporary file as each claim arrives, and
only the ``MAX_CLAIMS`` highest-ranked claims with errors or warnings are kept, as small digests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from ctscrub.model import ClaimResult
from ctscrub.report.csv_findings import FindingsCsvWriter
from ctscrub.report.html import render_document
from ctscrub.report.summary import MAX_CLAIMS, TOP_FINDINGS, ClaimTable, build_report, processed_time

if TYPE_CHECKING:
    from ctscrub.pipeline import UploadSummary

REPORT_FILES = ("summary.json", "findings.csv", "report.html")


class ReportSink:
    """Pipeline sink producing ``summary.json``, ``findings.csv`` and ``report.html`` for one upload."""

    def __init__(self, max_claims: int = MAX_CLAIMS, top_findings: int = TOP_FINDINGS,
                 clock: Callable[[], str] | None = None) -> None:
        self._table = ClaimTable(max_claims, top_findings)
        self._csv = FindingsCsvWriter()
        self._clock = clock
        self._doc: dict[str, object] | None = None

    # -- the pipeline's Sink protocol --
    def claim(self, result: ClaimResult) -> None:
        self._csv.write(result.findings)
        self._table.add(result)

    def finish(self, summary: UploadSummary) -> None:
        d = summary.to_dict()
        # File-level findings arrive only now, so they follow the claim rows in the CSV.
        self._csv.write([d["rejection"]] if d.get("rejection") else [])  # type: ignore[list-item]
        self._csv.write(d["file_findings"])  # type: ignore[arg-type]
        when = self._clock() if self._clock else processed_time(summary.started, summary.seconds)
        self._doc = build_report(d, self._table, processed_at=when)

    # -- results --
    def summary_doc(self) -> dict[str, object]:
        if self._doc is None:
            raise RuntimeError("the report is complete only after the pipeline calls finish()")
        return self._doc

    def summary_json(self) -> bytes:
        return json.dumps(self.summary_doc(), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"

    def html(self) -> str:
        return render_document(self.summary_doc())

    def open_findings_csv(self) -> IO[bytes]:
        """The findings CSV as a binary file at its start: stream it (``upload_fileobj``) on big uploads."""
        self.summary_doc()
        return self._csv.open()

    def findings_csv(self) -> bytes:
        self.summary_doc()
        return self._csv.getvalue()

    @property
    def finding_rows(self) -> int:
        return self._csv.rows

    def outputs(self) -> dict[str, bytes]:
        """``{"summary.json", "findings.csv", "report.html"}`` as bytes, for ``reports/<upload_id>/``."""
        return {
            "summary.json": self.summary_json(),
            "findings.csv": self.findings_csv(),
            "report.html": self.html().encode("utf-8"),
        }

    def close(self) -> None:
        """Delete the temporary CSV file."""
        self._csv.close()

    def __enter__(self) -> ReportSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
