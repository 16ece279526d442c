"""SNS alerts: one ``claim.findings`` message per claim at or above the alert threshold, then one
``upload.completed`` or ``upload.rejected`` message per upload (schema in docs/CONTRACTS.md).

Claim messages are spooled (memory, then a temp file) and published only when the whole upload has been
read, so a file rejected half-way never leaks alerts for its first claims. Publishing is batched (10 per
``PublishBatch`` and at most 256 KB per call), failed entries are retried, and the number of messages sent
is checkpointed so a retried invocation resumes after the last checkpoint instead of repeating them.

Each message remembers how many findings-table items the upload had spooled when its claim was read (its
``needs``); ``before_batch`` receives the largest ``needs`` of the batch about to go out, so the caller can
make those items durable first: a subscriber never hears of a claim whose findings are not in the table.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ctscrub.model import ClaimResult, Finding, Severity
from ctscrub.pipeline import UploadSummary

SCHEMA_VERSION = 1
MAX_MESSAGE_BYTES = 250_000  # SNS limit is 262,144 bytes for body + attributes; keep headroom
MAX_BATCH_BYTES = 250_000  # the same limit applies to a whole PublishBatch call
BATCH_SIZE = 10
RETRY_ATTEMPTS = 5


class AlertPublishError(RuntimeError):
    """SNS refused some messages after retries (the message names counts and error codes only).

    ``sent`` holds the positions (in the batch) of the messages SNS did accept before giving up, so the
    caller can checkpoint them and a retry does not send them again.
    """

    def __init__(self, message: str, sent: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class AlertProgress:
    """Which of an upload's messages are out: 0..published-1, plus ``sent_after`` (a partly failed batch)."""

    published: int
    sent_after: tuple[int, ...]
    total: int

    @property
    def pending(self) -> int:
        return max(0, self.total - self.published - len(self.sent_after))


def _error_code(exc: BaseException) -> str:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return f"{type(exc).__name__}: {code}" if code else type(exc).__name__


def _highest(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def _counts(by_severity: Counter[str]) -> dict[str, int]:
    return {s.value: int(by_severity.get(s.value, 0)) for s in Severity}


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "severity": f.severity.value, "line": f.line, "code": f.code,
            "message": f.message, "suggestion": f.suggestion, "source": f.source}


def _attributes(event_type: str, severity: str, rules: list[str] | None) -> dict[str, dict[str, str]]:
    attrs = {
        "event_type": {"DataType": "String", "StringValue": event_type},
        "severity": {"DataType": "String", "StringValue": severity},
    }
    if rules is not None:
        attrs["rules"] = {"DataType": "String.Array", "StringValue": json.dumps(rules)}
    return attrs


def _fit(body: dict[str, Any], list_key: str = "findings") -> str:
    """Serialize ``body``; if it exceeds the SNS size, shorten ``list_key`` and flag the truncation."""
    text = json.dumps(body, separators=(",", ":"))
    if len(text.encode("utf-8")) <= MAX_MESSAGE_BYTES:
        return text
    items = list(body[list_key])
    body[f"{list_key}_truncated"] = True
    while items:
        items = items[: len(items) // 2]
        body[list_key] = items
        text = json.dumps(body, separators=(",", ":"))
        if len(text.encode("utf-8")) <= MAX_MESSAGE_BYTES:
            return text
    body[list_key] = []
    return json.dumps(body, separators=(",", ":"))


def claim_message(result: ClaimResult, *, upload_id: str, source_key: str) -> tuple[str, dict[str, Any]]:
    by_sev: Counter[str] = Counter(f.severity.value for f in result.findings)
    rules = sorted({f.rule for f in result.findings})
    highest = _highest(result.findings)
    body = {
        "schema_version": SCHEMA_VERSION,
        "event_type": "claim.findings",
        "upload_id": upload_id,
        "source_key": source_key,
        "claim_id": result.claim_id,
        "rules": rules,
        "counts": _counts(by_sev),
        "amount_at_stake": str(result.amount_at_stake()),
        "findings": [_finding_json(f) for f in result.findings],
        "findings_truncated": False,
    }
    return _fit(body), _attributes("claim.findings", highest.value if highest else "info", rules)


def upload_message(summary: UploadSummary, *, source_key: str, alerts: int) -> tuple[str, dict[str, Any]]:
    if summary.status == "rejected" and summary.rejection is not None:
        rej = summary.rejection
        body: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "event_type": "upload.rejected",
            "upload_id": summary.upload_id,
            "source_key": source_key,
            "status": "rejected",
            "rule": rej.rule,
            "reason": rej.message,
            "suggestion": rej.suggestion,
            "ruleset_version": summary.ruleset_version,
        }
        return json.dumps(body, separators=(",", ":")), _attributes("upload.rejected", "error", [rej.rule])
    rules = sorted(summary.by_rule)
    levels = [s for s in Severity if summary.by_severity.get(s.value)]
    highest = max(levels, key=lambda s: s.rank).value if levels else "none"
    body = {
        "schema_version": SCHEMA_VERSION,
        "event_type": "upload.completed",
        "upload_id": summary.upload_id,
        "source_key": source_key,
        "status": "processed",
        "format": summary.format,
        "ruleset_version": summary.ruleset_version,
        "claims": summary.claims,
        "lines": summary.lines,
        "chest_ct_lines": summary.chest_ct_lines,
        "claims_with_errors": summary.claims_with_errors,
        "counts": _counts(summary.by_severity),
        "rules": rules,
        "expected_allowed": str(summary.expected_allowed),
        "amount_at_stake": str(summary.amount_at_stake),
        "claim_alerts": alerts,
        "file_findings": [_finding_json(f) for f in summary.file_findings],
    }
    # no `rules` attribute: a subscriber filtering on rules gets claim messages, not the upload summary
    return _fit(body, "file_findings"), _attributes("upload.completed", highest, None)


class SnsBatchPublisher:
    """Publishes (body, attributes) pairs with ``PublishBatch``, retrying failed entries with backoff."""

    def __init__(self, sns: Any, topic_arn: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sns = sns
        self._topic = topic_arn
        self._sleep = sleep
        self.calls = 0

    def publish(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        """Publish one batch; on failure raise ``AlertPublishError`` naming the positions that went out."""
        entries = {f"m{i}": {"Id": f"m{i}", "Message": body, "MessageAttributes": attrs}
                   for i, (body, attrs) in enumerate(batch)}
        sent: set[int] = set()
        try:
            for attempt in range(RETRY_ATTEMPTS):
                self.calls += 1
                resp = self._sns.publish_batch(TopicArn=self._topic,
                                               PublishBatchRequestEntries=list(entries.values()))
                failed = resp.get("Failed", [])
                failed_ids = {str(f.get("Id")) for f in failed}
                sent |= {int(i[1:]) for i in entries if i not in failed_ids}
                if not failed:
                    return
                if any(f.get("SenderFault") for f in failed):
                    codes = sorted({str(f.get("Code")) for f in failed})
                    raise AlertPublishError(f"SNS rejected {len(failed)} alert message(s): {', '.join(codes)}")
                entries = {i: entries[i] for i in entries if i in failed_ids}
                self._sleep(min(0.1 * 2**attempt, 2.0))
            raise AlertPublishError(f"SNS failed {len(entries)} alert message(s) after {RETRY_ATTEMPTS} attempts")
        except AlertPublishError as exc:
            exc.sent = tuple(sorted(sent))
            raise
        except Exception as exc:
            if not sent:
                raise
            # part of the batch went out before the call failed: say which, never the SNS error text
            raise AlertPublishError(f"{_error_code(exc)} after {len(sent)} of {len(batch)} message(s) of a batch "
                                    f"went out", tuple(sorted(sent))) from None


Message = tuple[str, dict[str, Any], int]  # body, attributes, findings-table items it needs written first


def batches(messages: Iterator[Message]) -> Iterator[list[Message]]:
    """Group messages into PublishBatch calls: at most 10 messages and 250 KB per call."""
    batch: list[Message] = []
    size = 0
    for msg in messages:
        msg_size = len(msg[0].encode("utf-8")) + len(json.dumps(msg[1]))
        if batch and (len(batch) == BATCH_SIZE or size + msg_size > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(msg)
        size += msg_size
    if batch:
        yield batch


class AlertsSink:
    """Pipeline sink: spools claim alerts, publishes them and the upload message in ``finish``.

    Messages are numbered 0..total-1 in a deterministic order (claims in file order, then the upload
    message). ``skip`` is the resume point a previous attempt checkpointed (messages 0..skip-1 are out) and
    ``skip_also`` the further messages it sent in a partly failed batch. ``progress`` (if given) is called
    with an ``AlertProgress``, the resume point, after every batch and when publishing fails (so the upload
    record shows its pending alerts).
    ``before_batch`` runs before each PublishBatch call with the ``needs`` of its last message (the
    invocation's deadline check, and the findings-table writes the batch's claims need). ``needs`` (if given)
    returns how many findings-table items the upload has spooled so far; it is read as each claim is seen.
    """

    def __init__(self, publisher: SnsBatchPublisher, *, upload_id: str, source_key: str,
                 min_severity: Severity = Severity.ERROR, skip: int = 0,
                 skip_also: tuple[int, ...] = (), progress: Callable[[AlertProgress], None] | None = None,
                 before_batch: Callable[[int], None] | None = None, needs: Callable[[], int] | None = None) -> None:
        self._publisher = publisher
        self._upload_id = upload_id
        self._source_key = source_key
        self._min_rank = min_severity.rank
        self._sent: set[int] = set(range(skip)) | set(skip_also)
        self._progress = progress
        self._before_batch = before_batch
        self._needs = needs or (lambda: 0)
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b")
        self._total = 0
        self.claim_alerts = 0
        self.published = skip
        self.sent_now = 0  # messages this attempt published (the rest were out before)

    def claim(self, result: ClaimResult) -> None:
        if not any(f.severity.rank >= self._min_rank for f in result.findings):
            return
        body, attrs = claim_message(result, upload_id=self._upload_id, source_key=self._source_key)
        self._spool.write(json.dumps([body, attrs, self._needs()], separators=(",", ":")).encode("utf-8") + b"\n")
        self.claim_alerts += 1

    def _spooled(self) -> Iterator[Message]:
        self._spool.seek(0)
        for raw in self._spool:
            body, attrs, needs = json.loads(raw)
            yield body, attrs, needs

    def finish(self, summary: UploadSummary) -> None:
        try:
            if summary.status == "rejected":
                self._total = 1
                messages: Iterator[Message] = iter(
                    [(*upload_message(summary, source_key=self._source_key, alerts=0), self._needs())])
            else:
                self._total = self.claim_alerts + 1
                messages = self._all(summary)
            self._publish(messages)
        finally:
            self._spool.close()

    def _all(self, summary: UploadSummary) -> Iterator[Message]:
        yield from self._spooled()
        # the upload summary goes last and needs every item of the upload (read now: after the table's finish)
        yield (*upload_message(summary, source_key=self._source_key, alerts=self.claim_alerts), self._needs())

    def state(self) -> AlertProgress:
        while self.published in self._sent:
            self.published += 1
        # every index below ``published`` is in ``_sent``, so only a partly failed batch leaves any beyond it:
        # the scan (O(messages), once per batch) runs only then
        beyond = len(self._sent) > self.published
        after = tuple(sorted(i for i in self._sent if i >= self.published)) if beyond else ()
        return AlertProgress(self.published, after, self._total)

    def _report(self) -> None:
        if self._progress is not None:
            self._progress(self.state())

    def _publish(self, messages: Iterator[Message]) -> None:
        numbered = [i for i in range(self._total) if i not in self._sent]
        unsent = (m for i, m in enumerate(messages) if i not in self._sent)
        position = 0
        try:
            for batch in batches(unsent):
                indices = numbered[position:position + len(batch)]
                position += len(batch)
                if self._before_batch is not None:
                    self._before_batch(max(needs for _, _, needs in batch))
                try:
                    self._publisher.publish([(body, attrs) for body, attrs, _ in batch])
                except AlertPublishError as exc:
                    self._sent.update(indices[p] for p in exc.sent)
                    self.sent_now += len(exc.sent)
                    raise
                self._sent.update(indices)
                self.sent_now += len(batch)
                self._report()  # the resume point after every batch
        except Exception:
            # the upload record shows what went out and what is pending before the failure propagates
            self._report()
            raise
        self.state()
