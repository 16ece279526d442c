"""DynamoDB single-table writer: the upload record, the findings and the line prices of one upload.

Layout (docs/CONTRACTS.md): ``pk=UPLOAD#<upload_id>`` holds the upload record (``sk=UPLOAD``), the
findings (``sk=FINDING#...``, ``FILE#...``) and the prices (``sk=PRICE#...``); findings and prices also
carry ``gsi1pk=CLAIM#<claim_id>`` for "everything about this claim" queries. Keys are deterministic, so a
retry overwrites. Items carry no patient names, birth dates or member ids.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key

from ctscrub.aws import keys
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

    def mark_failed(self, uid: str, reason: str) -> None:
        self._update(uid, {"status": STATUS_FAILED, "failure_reason": reason[:500], "failed_at": _now()})

    def checkpoint_alerts(self, uid: str, published: int, sent_after: tuple[int, ...] = (),
                          total: int | None = None) -> None:
        """Remember which of this upload's alert messages went out, so a retry sends only the rest.

        ``published``: messages 0..published-1 are out; ``sent_after``: indices beyond that which went out
        in a partly failed batch; ``total``: messages this upload has to send (sets ``alerts_pending``).
        """
        values: dict[str, Any] = {"alerts_published": published}
        remove: tuple[str, ...] = ()
        if sent_after:
            values["alerts_sent_after"] = sorted(sent_after)
        else:
            remove = ("alerts_sent_after",)
        if total is not None:
            values["alerts_total"] = total
            values["alerts_pending"] = max(0, total - published - len(sent_after))
        self._update(uid, values, remove=remove)


class FindingsTableSink:
    """Pipeline sink writing each claim's findings and prices through one ``BatchWriter``.

    25 items per call, unprocessed items resent with backoff (``ctscrub.aws.batch_writes``).
    """

    def __init__(self, table: Any, uid: str) -> None:
        self._table = table
        self._uid = uid
        self._pk = keys.upload_pk(uid)
        self._writer: Any = None
        self._occurrences: Counter[str] = Counter()
        self.items_written = 0

    def _put(self, item: dict[str, Any]) -> None:
        if self._writer is None:
            self._writer = BatchWriter(self._table)
        self._writer.put(item)
        self.items_written += 1

    def claim(self, result: ClaimResult) -> None:
        self._occurrences[result.claim_id] += 1
        occ = self._occurrences[result.claim_id]
        ckey = keys.claim_key(result.claim_id, occ)
        gsi1pk = keys.claim_pk(result.claim_id)
        seen: Counter[tuple[int | None, str]] = Counter()
        for f in result.findings:
            seen[(f.line, f.rule)] += 1
            n = seen[(f.line, f.rule)]
            self._put({"pk": self._pk, "sk": keys.finding_sk(ckey, f.line, f.rule, n),
                       "gsi1pk": gsi1pk, "gsi1sk": keys.finding_gsi1sk(self._uid, occ, f.line, f.rule, n),
                       "upload_id": self._uid, **_finding_attrs(f)})
        for p in result.prices:
            self._put({"pk": self._pk, "sk": keys.price_sk(ckey, p.line),
                       "gsi1pk": gsi1pk, "gsi1sk": keys.price_gsi1sk(self._uid, occ, p.line),
                       "upload_id": self._uid, **_price_attrs(p)})

    def finish(self, summary: UploadSummary) -> None:
        if summary.status != "rejected":
            seen: Counter[str] = Counter()
            for f in summary.file_findings:
                seen[f.rule] += 1
                self._put({"pk": self._pk, "sk": keys.file_finding_sk(f.rule, seen[f.rule]),
                           "upload_id": self._uid, **_finding_attrs(f)})
        self.flush()
        if summary.status == "rejected":
            purge_upload_items(self._table, self._uid)

    def flush(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.flush()


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
