"""DynamoDB single-table writer: the upload record, the findings and the line prices of one upload.

Layout (docs/CONTRACTS.md): ``pk=UPLOAD#<upload_id>`` holds the upload record (``sk=UPLOAD``), the
findings (``sk=FINDING#...``, ``FILE#...``) and the prices (``sk=PRICE#...``); findings and prices also
carry ``gsi1pk=CLAIM#<claim_id>`` for "everything about this claim" queries. Keys are deterministic, so a
retry overwrites. Items carry no patient names, birth dates or member ids.

Write calls: the findings and prices go 25 per ``BatchWriteItem``, and the alert checkpoints ride in those
same calls as a put of the whole upload record (``with_alert_progress``) instead of costing an
``UpdateItem`` each; only starting and finishing an upload are single-item updates.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from ctscrub.aws import keys
from ctscrub.aws.alerts import AlertProgress
from ctscrub.aws.batch_writes import BatchWriter
from ctscrub.model import ClaimResult, Finding, LinePrice
from ctscrub.pipeline import UploadSummary

STATUS_PROCESSING = "PROCESSING"
STATUS_COMPLETED = "COMPLETED"
STATUS_REJECTED = "REJECTED"
STATUS_FAILED = "FAILED"
FINAL_STATUSES = frozenset({STATUS_COMPLETED, STATUS_REJECTED})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _finding_attrs(f: Finding) -> dict[str, Any]:
    item: dict[str, Any] = {
        "entity": "finding",
        "rule": f.rule,
        "severity": f.severity.value,
        "message": f.message,
        "suggestion": f.suggestion,
        "source": f.source,
    }
    if f.claim_id is not None:
        item["claim_id"] = f.claim_id
    if f.line is not None:
        item["line"] = f.line
    if f.code is not None:
        item["code"] = f.code
    if f.dataset is not None:
        item["dataset"] = f.dataset
    if f.amount_at_stake is not None:
        item["amount_at_stake"] = Decimal(f.amount_at_stake)
    return item


def _alert_fields(progress: AlertProgress) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The upload record's alert attributes for ``progress``: (values to set, attributes to remove)."""
    values: dict[str, Any] = {"alerts_published": progress.published, "alerts_total": progress.total,
                              "alerts_pending": progress.pending}
    if progress.sent_after:
        values["alerts_sent_after"] = sorted(progress.sent_after)
        return values, ()
    return values, ("alerts_sent_after",)


def with_alert_progress(record: dict[str, Any], progress: AlertProgress) -> dict[str, Any]:
    """The whole upload record with ``progress`` (a put of it is the alert checkpoint).

    A put replaces the record, which is safe because only the invocation holding the upload's idempotency
    lock writes its record while it is ``PROCESSING``, and that invocation holds the current record.
    """
    values, remove = _alert_fields(progress)
    return {k: v for k, v in record.items() if k not in remove} | values


def _price_attrs(p: LinePrice) -> dict[str, Any]:
    item: dict[str, Any] = {
        "entity": "price",
        "claim_id": p.claim_id,
        "line": p.line,
        "code": p.code,
        "modifiers": list(p.modifiers),
        "basis": p.basis,
    }
    if p.allowed is not None:
        item["expected_allowed"] = Decimal(p.allowed)
    if p.dataset is not None:
        item["dataset"] = p.dataset
    return item


class UploadRecords:
    """The ``sk=UPLOAD`` record of each upload: its status and totals."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, uid: str) -> dict[str, Any] | None:
        resp = self._table.get_item(Key={"pk": keys.upload_pk(uid), "sk": keys.UPLOAD_SK}, ConsistentRead=True)
        item: dict[str, Any] | None = resp.get("Item")
        return item

    def _update(self, uid: str, values: dict[str, Any], *, count_attempt: bool = False,
                remove: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> dict[str, Any]:
        """SET ``values`` (``keep`` ones only where absent), REMOVE ``remove``; returns the new record."""
        names = {f"#{k}": k for k in (*values, *remove)}
        vals: dict[str, Any] = {f":{k}": v for k, v in values.items()}
        sets = [f"#{k} = if_not_exists(#{k}, :{k})" if k in keep else f"#{k} = :{k}" for k in values]
        if count_attempt:
            sets.append("#attempts = if_not_exists(#attempts, :zero) + :one")
            names["#attempts"] = "attempts"
            vals |= {":zero": 0, ":one": 1}
        expr = "SET " + ", ".join(sets)
        if remove:
            expr += " REMOVE " + ", ".join(f"#{k}" for k in remove)
        resp = self._table.update_item(
            Key={"pk": keys.upload_pk(uid), "sk": keys.UPLOAD_SK},
            UpdateExpression=expr,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=vals,
            ReturnValues="ALL_NEW",
        )
        attrs: dict[str, Any] = resp.get("Attributes", {})
        return attrs

    def mark_processing(self, uid: str, *, bucket: str, key: str, version: str | None, size: int | None,
                        as_of: str | None = None) -> dict[str, Any]:
        """Start an attempt. ``as_of`` (the processing date) is pinned by the first attempt, so a retry on
        a later day checks the claims against the same date and produces the same items and alerts."""
        values: dict[str, Any] = {
            "entity": "upload",
            "upload_id": uid,
            "status": STATUS_PROCESSING,
            "source_bucket": bucket,
            "source_key": key,
            "source_version": version or "",
            "started_at": _now(),
        }
        if size is not None:
            values["object_size"] = size
        if as_of is not None:
            values["as_of"] = as_of
        return self._update(uid, values, count_attempt=True, keep=("as_of",))

    def mark_finished(self, summary: UploadSummary, *, alerts_published: int, report_prefix: str | None = None) -> str:
        status = STATUS_REJECTED if summary.status == "rejected" else STATUS_COMPLETED
        values: dict[str, Any] = {
            "status": status,
            "format": summary.format or "",
            "ruleset_version": summary.ruleset_version,
            "claims": summary.claims,
            "lines": summary.lines,
            "chest_ct_lines": summary.chest_ct_lines,
            "claims_with_errors": summary.claims_with_errors,
            "findings": summary.finding_count,
            "by_severity": {s: int(n) for s, n in summary.by_severity.items()},
            "by_rule": {r: int(n) for r, n in summary.by_rule.items()},
            "expected_allowed": Decimal(summary.expected_allowed),
            "amount_at_stake": Decimal(summary.amount_at_stake),
            "bytes_read": summary.bytes_read,
            "seconds": Decimal(str(round(summary.seconds, 3))),
            "finished_at": _now(),
            "alerts_published": alerts_published,
            "alerts_pending": 0,
        }
        if report_prefix is not None:
            values["report_prefix"] = report_prefix
        if summary.rejection is not None:
            values["rejection"] = {
                "rule": summary.rejection.rule,
                "message": summary.rejection.message,
                "suggestion": summary.rejection.suggestion,
            }
        # the failure of an earlier attempt is history once an attempt finished the upload
        self._update(uid=summary.upload_id, values=values, remove=("failure_reason", "failed_at", "alerts_sent_after"))
        return status

    def mark_failed(self, uid: str, reason: str, alerts: AlertProgress | None = None) -> None:
        """``alerts``: which alert messages went out (so a retry sends only the rest), when publishing began."""
        values: dict[str, Any] = {"status": STATUS_FAILED, "failure_reason": reason[:500], "failed_at": _now()}
        remove: tuple[str, ...] = ()
        if alerts is not None:
            progress, remove = _alert_fields(alerts)
            values |= progress
        self._update(uid, values, remove=remove)


SPOOL_CHUNK = 500  # items per pickle in the spool (a few hundred KB at most)


class FindingsTableSink:
    """Pipeline sink for the findings and prices of one upload, written once the whole file was read.

    While the file is read, each claim's items are spooled (memory, then a temp file: memory stays flat),
    so a file rejected half-way writes nothing. Afterwards they are written in file order, 25 per
    ``BatchWriteItem`` (``ctscrub.aws.batch_writes``: unprocessed items resent with backoff), driven by the
    alerts: ``write_through(n)`` before each alert batch writes at least the first ``n`` items (those the
    batch's claims need) and the staged upload-record checkpoint (``stage``) in the same calls, filling the
    last call up to 25 items. ``flush`` writes whatever is left. ``extra_items`` (the LDCT screens this upload
    recorded) are spooled after the file-level findings when the upload is processed.
    """

    def __init__(self, table: Any, uid: str, *, extra_items: Callable[[], list[dict[str, Any]]] | None = None,
                 before_write: Callable[[], None] | None = None) -> None:
        self._table = table
        self._uid = uid
        self._pk = keys.upload_pk(uid)
        self._extra_items = extra_items
        self._before_write = before_write  # runs before each write call (the invocation's deadline check)
        self._occurrences: Counter[str] = Counter()
        self._spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b")
        self._reading = False
        self._chunk: list[dict[str, Any]] = []  # items not spooled yet
        self._next: deque[dict[str, Any]] = deque()  # items of the chunk being written
        self._staged: dict[str, Any] | None = None
        self._writer: BatchWriter | None = None
        self.spooled = 0  # items of this upload so far (what an alert message ``needs``)
        self.items_written = 0

    def _spool_items(self, items: list[dict[str, Any]]) -> None:
        if self._reading:
            raise RuntimeError("items added after the findings table writes began")
        self._chunk += items
        self.spooled += len(items)
        if len(self._chunk) >= SPOOL_CHUNK:
            self._spool_chunk()

    def _spool_chunk(self) -> None:
        # one pickle per few hundred items, not per claim: repeated strings (attribute names, the upload id)
        # are stored once per chunk, 412 bytes per item instead of 564 on the bench CSV
        if self._chunk:
            pickle.dump(self._chunk, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    def claim(self, result: ClaimResult) -> None:
        self._occurrences[result.claim_id] += 1
        occ = self._occurrences[result.claim_id]
        ckey = keys.claim_key(result.claim_id, occ)
        gsi1pk = keys.claim_pk(result.claim_id)
        seen: Counter[tuple[int | None, str]] = Counter()
        items: list[dict[str, Any]] = []
        for f in result.findings:
            seen[(f.line, f.rule)] += 1
            n = seen[(f.line, f.rule)]
            items.append({"pk": self._pk, "sk": keys.finding_sk(ckey, f.line, f.rule, n),
                          "gsi1pk": gsi1pk, "gsi1sk": keys.finding_gsi1sk(self._uid, occ, f.line, f.rule, n),
                          "upload_id": self._uid, **_finding_attrs(f)})
        for p in result.prices:
            items.append({"pk": self._pk, "sk": keys.price_sk(ckey, p.line),
                          "gsi1pk": gsi1pk, "gsi1sk": keys.price_gsi1sk(self._uid, occ, p.line),
                          "upload_id": self._uid, **_price_attrs(p)})
        self._spool_items(items)

    def finish(self, summary: UploadSummary) -> None:
        if summary.status == "rejected":  # nothing was written: drop what was spooled
            self._spool.close()
            self.spooled = 0
            return
        seen: Counter[str] = Counter()
        items = []
        for f in summary.file_findings:
            seen[f.rule] += 1
            items.append({"pk": self._pk, "sk": keys.file_finding_sk(f.rule, seen[f.rule]),
                          "upload_id": self._uid, **_finding_attrs(f)})
        self._spool_items(items)
        if self._extra_items is not None:
            self._spool_items(self._extra_items())

    def stage(self, item: dict[str, Any]) -> None:
        """Hold ``item`` (an upload-record checkpoint) for the next write call; a later one replaces it."""
        self._staged = item

    def _take(self) -> dict[str, Any] | None:
        if not self._next:
            if self.items_written >= self.spooled:
                return None
            if not self._reading:
                self._reading = True
                self._spool_chunk()
                self._spool.seek(0)
            # the spool is an unnamed temp file this object wrote itself, never outside input
            self._next.extend(pickle.load(self._spool))  # noqa: S301
        return self._next.popleft()

    def _put(self, writer: BatchWriter, item: dict[str, Any]) -> None:
        if writer.pending == 0 and self._before_write is not None:
            self._before_write()
        writer.put(item)  # sends by itself when 25 are buffered

    def write_through(self, needed: int) -> None:
        """Make the first ``needed`` items and the staged checkpoint durable, in as few calls as possible."""
        if self._staged is None and self.items_written >= needed:
            return
        writer = self._writer = self._writer or BatchWriter(self._table)
        if self._staged is not None:
            self._put(writer, self._staged)
            self._staged = None
        # past ``needed``, keep filling the call being assembled: the items go out now instead of in a later,
        # emptier call
        while self.items_written < needed or writer.pending:
            item = self._take()
            if item is None:
                break
            self._put(writer, item)
            self.items_written += 1
        writer.flush()

    def flush(self) -> None:
        """Write every item not written yet (and the staged checkpoint)."""
        self.write_through(self.spooled)

    def close(self) -> None:
        self._spool.close()


def purge_upload_items(table: Any, uid: str) -> int:
    """Delete every finding, file finding and price of an upload (keeps the upload record)."""
    pk = keys.upload_pk(uid)
    deleted = 0
    with BatchWriter(table) as writer:
        for prefix in ("FINDING#", "FILE#", "PRICE#"):
            kwargs: dict[str, Any] = {
                "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(prefix),
                "ProjectionExpression": "pk, sk",
                "ConsistentRead": True,
            }
            while True:
                resp = table.query(**kwargs)
                for item in resp.get("Items", []):
                    writer.delete({"pk": item["pk"], "sk": item["sk"]})
                    deleted += 1
                if "LastEvaluatedKey" not in resp:
                    break
                kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
    return deleted
