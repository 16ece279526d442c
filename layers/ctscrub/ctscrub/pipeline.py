"""Reader -> pricing -> rules -> sinks, one claim at a time.

The pipeline holds one claim and a small same-patient/same-day index in memory, so memory stays flat
in file size. Sinks (an in-memory collector for the CLI, DynamoDB and SNS writers in AWS, the report
builder) receive each claim's result as soon as it is checked, and the upload summary at the end; a result
that says a line's partner is missing waits for the later claims of that patient and date first
(``absence_findings``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Final, Protocol

from ctscrub import RULESET_VERSION
from ctscrub.absence_findings import HeldResults
from ctscrub.formats import ClaimReader, FileRejected, open_reader
from ctscrub.formats.stream import Readable
from ctscrub.model import Claim, ClaimResult, Finding, LinePrice, Severity
from ctscrub.payment import price_claim
from ctscrub.refdata.types import ReferenceLookups
from ctscrub.rules import RuleContext, all_rules, finding
from ctscrub.rules.facts import ClaimFacts
from ctscrub.rules.registry import RulePlan, ScreeningHistory


class Sink(Protocol):
    def claim(self, result: ClaimResult) -> None: ...

    def finish(self, summary: UploadSummary) -> None: ...


@dataclass
class UploadSummary:
    upload_id: str
    source: str  # object key or file name (never content)
    status: str = "processed"  # "processed" or "rejected"
    format: str | None = None
    ruleset_version: str = RULESET_VERSION
    rejection: Finding | None = None
    file_findings: list[Finding] = field(default_factory=list)
    claims: int = 0
    lines: int = 0
    chest_ct_lines: int = 0
    claims_with_errors: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)
    expected_allowed: Decimal = Decimal(0)
    amount_at_stake: Decimal = Decimal(0)
    bytes_read: int = 0
    started: float = field(default_factory=time.time)
    seconds: float = 0.0

    @property
    def finding_count(self) -> int:
        return sum(self.by_severity.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "upload_id": self.upload_id,
            "source": self.source,
            "status": self.status,
            "format": self.format,
            "ruleset_version": self.ruleset_version,
            "rejection": self.rejection.to_dict() if self.rejection else None,
            "file_findings": [f.to_dict() for f in self.file_findings],
            "claims": self.claims,
            "lines": self.lines,
            "chest_ct_lines": self.chest_ct_lines,
            "claims_with_errors": self.claims_with_errors,
            "findings": self.finding_count,
            "by_severity": {s.value: self.by_severity.get(s.value, 0) for s in Severity},
            "by_rule": dict(sorted(self.by_rule.items())),
            "expected_allowed": str(self.expected_allowed),
            "amount_at_stake": str(self.amount_at_stake),
            "bytes_read": self.bytes_read,
            "seconds": round(self.seconds, 3),
            "processed_at": datetime.fromtimestamp(self.started, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


@dataclass
class ScrubOptions:
    as_of: date
    refdata: ReferenceLookups
    default_locality: str | None = None  # applied to claims that name none
    max_bytes: int | None = None
    screening_history: ScreeningHistory | None = None


_NEGATIVE_RANK: Final = {s: -s.rank for s in Severity}  # a dict lookup, not the ``rank`` property's call per finding


def _sort_key(f: Finding) -> tuple[bool, int, int, str]:
    return (f.line is not None, f.line or 0, _NEGATIVE_RANK[f.severity], f.rule)


def check_claim(claim: Claim, ctx: RuleContext, plan: RulePlan, facts: ClaimFacts) -> ClaimResult:
    """Price the chest CT lines, run the rules that can fire on the claim, and return the claim's result."""
    findings = list(claim.reader_findings) if claim.reader_findings else []
    chest_ct = len(facts.ct_lines)
    prices: list[LinePrice] = []
    # Every rule concerns chest CT lines (or the deleted G0297): other claims are read, indexed for
    # same-patient checks, and skip pricing and the rules entirely.
    if chest_ct or "G0297" in facts.codes:
        prices = price_claim(claim, ctx.refdata, facts.ct_lines)
        rules = plan.for_claim(facts)
        if rules:  # most claims meet no trigger
            ctx.prices = {p.line: p for p in prices}
            ctx.facts = facts
            try:
                for rule_fn in rules:
                    findings.extend(rule_fn(claim, ctx))
            finally:
                ctx.facts = None
        if len(findings) > 1:
            findings.sort(key=_sort_key)
    return ClaimResult(claim.claim_id, findings, prices, len(claim.lines), chest_ct, claim.payer)


ERROR: Final = Severity.ERROR
WARNING: Final = Severity.WARNING

PATIENT_DAY_WINDOW = 10_000
"""How many recent (patient, date of service) groups the upload index keeps for checks across claims.

The index is what same-patient same-date rules (duplicates, pairs, repeats, distinct services) see of
earlier claims. Bounding it keeps memory flat in file size: claims of one patient and day that are more
than this many patient-days apart in a file are not compared (exports grouped by patient or date, the
usual order, are always fully covered). Claims inside one claim are always compared.
"""


MAX_LINES_PER_PATIENT_DAY = 200
"""How many lines of one patient and date the upload index keeps for the checks of later claims.

Real claims bill a few lines per patient and day; every later claim of that patient-day is compared with
each kept line, so a hostile file of thousands of lines for one patient-day would cost time and memory
growing with the square of its size. Lines past this many are still checked against the kept ones and
within their own claim, but later claims are not compared with them.
"""


def _remember_lines(claim: Claim, ctx: RuleContext, facts: ClaimFacts, held: HeldResults) -> list[ClaimResult] | None:
    """Index the claim's lines by patient and date for the rules that compare across claims; return the held
    results that the patient-days leaving the index settle (None: none)."""
    index = ctx.patient_day_lines
    claim_id, claim_rendering = claim.claim_id, claim.rendering_npi
    patient = facts.patient
    settled: list[ClaimResult] | None = None
    for dos, lines in facts.by_date.items():  # a claim's lines usually share one date
        key = (patient, dos)
        group = index.get(key)
        if group is None:
            group = index[key] = []
            order = ctx.patient_day_order
            order.append(key)
            if len(index) > PATIENT_DAY_WINDOW:
                old_key = order.popleft()  # the oldest
                old_group = index.pop(old_key)
                if len(held):
                    released = held.release(old_key, old_group)
                    if released:
                        settled = released if settled is None else settled + released
        if len(group) + len(lines) > MAX_LINES_PER_PATIENT_DAY:
            lines = lines[:max(0, MAX_LINES_PER_PATIENT_DAY - len(group))]
        for ln in lines:  # plain tuples in SeenLine's field order: peers() names them when a rule asks
            group.append((claim_id, ln.number, ln.procedure_code, ln.modifiers, ln.units,
                          ln.rendering_npi or claim_rendering))
    return settled


MAX_LINES_PER_CLAIM: Final = 999
"""Service lines of one claim that are checked (the JSON format's own limit; an 837P claim carries at most 50).

The lines of a claim are compared with each other, so a hostile claim of thousands of lines would cost time
and memory growing with the square of its size (4,000 lines: 30 s and 1.9 GB, measured). Lines past this
many are reported on the claim and not checked.
"""


def _cut_long_claim(claim: Claim, format_name: str) -> None:
    """Keep the first ``MAX_LINES_PER_CLAIM`` lines of ``claim`` and say so on the claim."""
    count = len(claim.lines)
    del claim.lines[MAX_LINES_PER_CLAIM:]
    claim.total_charge = None  # the claim total covers lines that are no longer there: not compared
    rule = "X12_CLAIM_MALFORMED" if format_name.startswith("x12") else "ROW_MALFORMED"
    claim.reader_findings.append(finding(
        rule, claim, None,
        f"Claim {claim.claim_id} has {count:,} service lines; only the first {MAX_LINES_PER_CLAIM} were checked.",
        "Split it into claims of at most 50 service lines (the most an 837P claim carries) and upload it again."))


def _checked_results(reader: ClaimReader, ctx: RuleContext, plan: RulePlan,
                     default_locality: str | None) -> Iterator[ClaimResult]:
    """Each claim's result, in file order except those held for later claims (``absence_findings``)."""
    held = HeldResults()
    index = ctx.patient_day_lines
    position = 0
    for claim in reader.claims():
        if default_locality and not claim.locality:
            claim.locality = default_locality
        if len(claim.lines) > MAX_LINES_PER_CLAIM:
            _cut_long_claim(claim, reader.format_name)
        facts = ClaimFacts(claim, ctx)
        result = check_claim(claim, ctx, plan, facts)
        result.position = position
        position += 1
        settled = _remember_lines(claim, ctx, facts, held)
        if settled is not None:
            yield from settled
        if result.findings and facts.ct_lines:
            is_held, early = held.hold(result, facts.patient, facts.by_date, index)
            yield from early
            if is_held:
                continue
        yield result
    yield from held.release_all(index)


def _discard_counts(summary: UploadSummary) -> None:
    summary.claims = summary.lines = summary.chest_ct_lines = summary.claims_with_errors = 0
    summary.by_severity.clear()
    summary.by_rule.clear()
    summary.expected_allowed = summary.amount_at_stake = Decimal(0)


def scrub(source: Readable, options: ScrubOptions, sinks: Iterable[Sink], *, upload_id: str,
          source_name: str) -> UploadSummary:
    """Check every claim of one upload, streaming results to the sinks; return the summary.

    A file that cannot be read at all ends as a ``rejected`` summary naming the reason; claims already
    passed to sinks before a mid-file rejection are the sinks' to discard (the AWS writer does).
    """
    sinks = list(sinks)
    summary = UploadSummary(upload_id=upload_id, source=source_name)
    # A per-upload view of the reference data, so one upload's missing-data notes never leak into
    # another's in a warm Lambda container.
    refdata = options.refdata.for_upload() if hasattr(options.refdata, "for_upload") else options.refdata
    ctx = RuleContext(as_of=options.as_of, refdata=refdata, screening_history=options.screening_history)
    plan = RulePlan(all_rules())
    t0 = time.perf_counter()
    reader = None
    try:
        reader = open_reader(source, max_bytes=options.max_bytes)
        summary.format = reader.format_name
        # Counts kept in locals while the claims stream, into the summary after the last claim (a rejected upload
        # discards them anyway): the summary's fields have class-level defaults, so Python 3.13 does not
        # specialize their loads and stores, and six of them per claim were ~1% of a whole run.
        claims = lines = chest_ct_lines = claims_with_errors = 0
        errors = warnings = infos = 0  # findings by severity
        expected_allowed = amount_at_stake = Decimal(0)
        for result in _checked_results(reader, ctx, plan, options.default_locality):
            claims += 1
            lines += result.line_count
            chest_ct_lines += result.chest_ct_line_count
            if result.findings:
                by_rule = summary.by_rule
                claim_errors = 0
                for f in result.findings:
                    by_rule[f.rule] += 1
                    # by identity: ``Severity.value`` goes through the enum descriptor, once per finding
                    severity = f.severity
                    if severity is ERROR:
                        claim_errors += 1
                    elif severity is WARNING:
                        warnings += 1
                    else:
                        infos += 1
                if claim_errors:
                    errors += claim_errors
                    claims_with_errors += 1
                    amount_at_stake += result.amount_at_stake()
            for p in result.prices:
                if p.allowed is not None:
                    expected_allowed += p.allowed
            for sink in sinks:
                sink.claim(result)
        summary.claims, summary.lines, summary.chest_ct_lines = claims, lines, chest_ct_lines
        summary.claims_with_errors = claims_with_errors
        summary.expected_allowed, summary.amount_at_stake = expected_allowed, amount_at_stake
        for severity, n in ((ERROR, errors), (WARNING, warnings), (Severity.INFO, infos)):
            if n:
                summary.by_severity[severity.value] += n
        if summary.claims == 0 and not any(f.severity is Severity.ERROR for f in reader.file_findings):
            raise FileRejected("FILE_MALFORMED", "the file contains no claims", None,
                               "Check that the file holds at least one claim with a service line.")
    except FileRejected as rej:
        _discard_counts(summary)  # a rejected upload has no claims: nothing read before the rejection counts
        summary.status = "rejected"
        where = f" at {rej.where}" if rej.where else ""
        summary.rejection = finding(rej.rule, None, None, f"The upload cannot be processed: {rej.reason}{where}.",
                                    rej.suggestion)
    except RecursionError:
        _discard_counts(summary)
        summary.status = "rejected"
        summary.rejection = finding("FILE_MALFORMED", None, None,
                                    "The upload cannot be processed: it is nested too deeply to read.",
                                    "Send claims as a flat list; see docs/FORMATS.md.")
    if reader is not None:
        summary.file_findings.extend(reader.file_findings)
    summary.file_findings.extend(
        finding("REFDATA_MISSING", None, None, msg,
                "Import the reference data for that period with `ctscrub refdata import`.")
        for msg in sorted(ctx.refdata.missing_notes())
    )
    if summary.rejection is not None:
        summary.by_severity[summary.rejection.severity.value] += 1
        summary.by_rule[summary.rejection.rule] += 1
    for f in summary.file_findings:
        summary.by_severity[f.severity.value] += 1
        summary.by_rule[f.rule] += 1
    summary.seconds = time.perf_counter() - t0
    for sink in sinks:
        sink.finish(summary)
    return summary


class CollectingSink:
    """Keeps every claim result in memory, in file order: for the CLI and tests, not for big files in Lambda."""

    def __init__(self) -> None:
        self.results: list[ClaimResult] = []
        self.summary: UploadSummary | None = None

    def claim(self, result: ClaimResult) -> None:
        self.results.append(result)

    def finish(self, summary: UploadSummary) -> None:
        self.summary = summary
        self.results.sort(key=_position)  # the results held for later claims came last (absence_findings)

    def all_findings(self) -> list[Finding]:
        out: list[Finding] = []
        if self.summary is not None and self.summary.rejection is not None:
            out.append(self.summary.rejection)
        if self.summary is not None:
            out.extend(self.summary.file_findings)
        for r in self.results:
            out.extend(r.findings)
        return out


def _position(result: ClaimResult) -> int:
    return result.position
