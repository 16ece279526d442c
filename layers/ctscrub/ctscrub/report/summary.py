"""The JSON summary of one upload: the pipeline's counts plus what a reader of the report needs.

The document is the single source of every number the HTML page shows: the page renders from it, and
each number on the page names the path of its value here (``data-metric="by_severity.error"``).
It carries claim ids, rule ids, codes, counts and dollars only; ``ClaimResult`` and ``Finding`` hold no
patient names, birth dates or member ids, and nothing here reads a ``Claim``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from ctscrub.model import ClaimResult, Severity
from ctscrub.rules.catalog import RULES

REPORT_VERSION = 1
MAX_CLAIMS = 500  # claims listed in the report; the rest are counted and are in findings.csv
TOP_FINDINGS = 3  # findings quoted per listed claim


@dataclass(frozen=True, slots=True)
class ClaimDigest:
    """What the report keeps of one claim with findings: counts, rules, dollars and its worst findings."""

    claim_id: str
    errors: int
    warnings: int
    infos: int
    rules: tuple[str, ...]
    amount_at_stake: Decimal
    expected_allowed: Decimal
    top_findings: tuple[dict[str, object], ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "claim_id": self.claim_id,
            "errors": self.errors,
            "warnings": self.warnings,
            "info": self.infos,
            "rules": list(self.rules),
            "amount_at_stake": str(self.amount_at_stake),
            "expected_allowed": str(self.expected_allowed),
            "top_findings": [dict(f) for f in self.top_findings],
        }


def digest_claim(result: ClaimResult, top_n: int = TOP_FINDINGS) -> ClaimDigest:
    sev = {s: 0 for s in Severity}
    for f in result.findings:
        sev[f.severity] += 1
    worst = sorted(result.findings, key=lambda f: (-f.severity.rank, f.line is not None, f.line or 0, f.rule))
    top = tuple(
        {"rule": f.rule, "severity": f.severity.value, "line": f.line, "code": f.code, "message": f.message}
        for f in worst[:top_n]
    )
    return ClaimDigest(
        claim_id=result.claim_id,
        errors=sev[Severity.ERROR],
        warnings=sev[Severity.WARNING],
        infos=sev[Severity.INFO],
        rules=tuple(sorted({f.rule for f in result.findings})),
        amount_at_stake=result.amount_at_stake(),
        expected_allowed=sum((p.allowed for p in result.prices if p.allowed is not None), Decimal(0)),
        top_findings=top,
    )


class ClaimTable:
    """The claims the report lists, at most ``limit`` of them, chosen errors-first in bounded memory.

    Claims with an error or a warning are candidates (info alone needs no action). Rank: claims with errors
    first, then the most dollars at stake, then the most errors and warnings; ties keep the claim that came
    first in the file. A min-heap keeps the ``limit`` highest-ranked digests seen so far.
    """

    def __init__(self, limit: int = MAX_CLAIMS, top_findings: int = TOP_FINDINGS) -> None:
        self.limit = limit
        self.top_findings = top_findings
        self.flagged = 0  # claims with an error or a warning, listed or not
        self._heap: list[tuple[tuple[int, Decimal, int, int], int, ClaimDigest]] = []
        self._seq = count()

    def add(self, result: ClaimResult) -> None:
        errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
        warnings = sum(1 for f in result.findings if f.severity is Severity.WARNING)
        if not errors and not warnings:
            return
        self.flagged += 1
        if self.limit <= 0:
            return
        rank = ((1 if errors else 0, result.amount_at_stake() if errors else Decimal(0), errors, warnings),
                -next(self._seq))
        if len(self._heap) >= self.limit and rank <= self._heap[0][:2]:
            return  # would not be listed: skip building its digest
        digest = digest_claim(result, self.top_findings)
        item = (*rank, digest)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        else:
            heapq.heapreplace(self._heap, item)

    def listed(self) -> list[ClaimDigest]:
        """The kept digests, highest ranked first."""
        return [d for _k, _s, d in sorted(self._heap, key=lambda it: it[:2], reverse=True)]


def rule_rows(by_rule: Mapping[str, int]) -> list[dict[str, object]]:
    """Counts by rule with the catalog's title and severity, most frequent first (errors first on ties)."""
    rank = {"error": 0, "warning": 1, "info": 2}
    keyed = []
    for rid, n in by_rule.items():
        info = RULES.get(rid)
        sev = info.severity.value if info else "info"
        row: dict[str, object] = {"rule": rid, "title": info.title if info else rid, "severity": sev,
                                  "count": int(n)}
        keyed.append(((-int(n), rank[sev], rid), row))
    return [row for _k, row in sorted(keyed, key=lambda kr: kr[0])]


def processed_time(started: float | None = None, seconds: float = 0.0) -> str:
    """ISO 8601 UTC time the processing ended (now when the start time is unknown)."""
    moment = datetime.fromtimestamp(started + seconds, UTC) if started is not None else datetime.now(UTC)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_report(summary: Mapping[str, object], table: ClaimTable | Iterable[ClaimResult] = (),
                 *, processed_at: str | None = None) -> dict[str, object]:
    """The ``summary.json`` document: ``UploadSummary.to_dict()`` plus rule titles and the listed claims."""
    if not isinstance(table, ClaimTable):
        results = table
        table = ClaimTable()
        for r in results:
            table.add(r)
    listed = table.listed()
    doc: dict[str, object] = dict(summary)
    doc["report_version"] = REPORT_VERSION
    doc["processed_at"] = processed_at or processed_time()
    by_rule = summary.get("by_rule") or {}
    assert isinstance(by_rule, Mapping)
    doc["rules"] = rule_rows(by_rule)
    doc["claims_flagged"] = table.flagged
    doc["claims_listed"] = len(listed)
    doc["claims_not_listed"] = table.flagged - len(listed)
    doc["claim_digests"] = [d.to_dict() for d in listed]
    return doc
