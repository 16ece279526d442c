"""The findings CSV: one row per finding, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is read as a formula by
Excel, LibreOffice and Google Sheets; an upload can put such text in a claim id or a code, so every cell
that starts with one gets a leading single quote (OWASP "CSV injection"). The full-width forms are
escaped too because some spreadsheet locales normalise them to the ASCII operators.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Mapping
from typing import IO

from ctscrub.model import Finding

FINDING_FIELDS: tuple[str, ...] = ("rule", "severity", "claim_id", "line", "code", "message", "suggestion",
                                   "source", "dataset", "amount_at_stake")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# UTF-8 with a byte order mark: Excel otherwise opens the file as the local code page and mangles "§".
ENCODING = "utf-8-sig"


def escape_cell(value: str) -> str:
    """Neutralise a cell a spreadsheet would evaluate as a formula by prefixing a single quote."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def finding_row(finding: Finding | Mapping[str, object]) -> list[str]:
    """The escaped CSV cells of one finding (a ``Finding`` or its ``to_dict()``)."""
    d = finding.to_dict() if isinstance(finding, Finding) else finding
    return [escape_cell("" if d.get(k) is None else str(d.get(k))) for k in FINDING_FIELDS]


class FindingsCsvWriter:
    """Streams finding rows to a temporary file so a large upload never holds its findings in memory."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # removed by close()
        self._text = io.TextIOWrapper(self._file, encoding=ENCODING, newline="")
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._csv.writerow(FINDING_FIELDS)
        self.rows = 0

    def write(self, findings: Iterable[Finding | Mapping[str, object]]) -> None:
        for f in findings:
            self._csv.writerow(finding_row(f))
            self.rows += 1

    def open(self) -> IO[bytes]:
        """The CSV so far as a binary file positioned at its start (for ``upload_fileobj``)."""
        self._text.flush()
        self._file.seek(0)
        return self._file

    def getvalue(self) -> bytes:
        data = self.open().read()
        self._file.seek(0, io.SEEK_END)  # further writes append
        return data

    def close(self) -> None:
        self._text.detach()
        self._file.close()


def findings_csv(findings: Iterable[Finding | Mapping[str, object]]) -> bytes:
    """The whole CSV for findings already in memory (the CLI and tests)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(FINDING_FIELDS)
    for f in findings:
        w.writerow(finding_row(f))
    return buf.getvalue().encode(ENCODING)
