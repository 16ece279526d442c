"""``ctscrub local FILE``: the real handler against an in-process copy of the stack (moto, no network).

The bucket, tables, topic and queue are created from template.yaml, the file is uploaded under
``incoming/``, the handler is invoked with the S3 put event S3 would send, and the result is what landed
in DynamoDB (the upload record, findings and line prices) and which alerts reached a subscriber queue.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


@contextmanager
def _environ(values: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    saved = dict(os.environ)
    try:
        for k in drop:
            os.environ.pop(k, None)
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def plain(value: Any) -> Any:
    """DynamoDB values as JSON-friendly Python: Decimal -> int or str, sets -> sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set) else items
    return value


def query_upload(table: Any, upload_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every item of one upload, grouped: ``upload`` (the record), ``findings``, ``prices``."""
    from boto3.dynamodb.conditions import Key

    groups: dict[str, list[dict[str, Any]]] = {"upload": [], "findings": [], "prices": []}
    kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(f"UPLOAD#{upload_id}")}
    while True:
        resp = table.query(**kwargs)
        for item in resp.get("Items", []):
            sk = str(item["sk"])
            group = "upload" if sk == "UPLOAD" else "prices" if sk.startswith("PRICE#") else "findings"
            groups[group].append(plain(item))
        if "LastEvaluatedKey" not in resp:
            return groups
        kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def run_local(path: str | Path, as_of: date | None = None, *, root: Path | None = None) -> dict[str, Any]:
    """Scrub ``path`` through the real handler on an embedded stack; return what landed where."""
    from ctscrub.aws import sandbox

    path = Path(path)
    extra = {"SCRUB_AS_OF": as_of.isoformat()} if as_of is not None else {}
    with _environ(_FAKE_ENV, drop=("AWS_PROFILE", "AWS_ENDPOINT_URL")), \
            sandbox.running_stack(root, env={**extra, "POWERTOOLS_METRICS_DISABLED": "true"}) as (stack, app):
        stack.subscribe_queue("subscriber")
        event = stack.upload(path, f"{stack.env.get('INCOMING_PREFIX', 'incoming/')}{path.name}")
        # The subscriber is drained after every PublishBatch, so it never holds more than one batch: moto's
        # SQS looks at every queued message on each delivery and receive, which made a big file's run
        # quadratic in its alerts (5,000 lines: 48 s, 20,000: ~8 min). The handler's own clients are used
        # unchanged; the hook only reads the queue.
        alerts: list[dict[str, Any]] = []
        app.runtime().processor.clients.client("sns").meta.events.register(
            "after-call.sns.PublishBatch", lambda **_: alerts.extend(stack.drain("subscriber")))
        result = app.lambda_handler(event, sandbox.FakeLambdaContext())
        import boto3

        table = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(stack.findings_table)
        uploads = [query_upload(table, u["upload_id"]) for u in result.get("uploads", [])]
        alerts.extend(stack.drain("subscriber"))  # anything published otherwise (none today)
        reports = _report_objects(stack, stack.env.get("REPORTS_PREFIX", "reports/"))
    return {"handler_result": plain(result), "uploads": uploads, "alerts": alerts, "reports": reports}


def _report_objects(stack: Any, prefix: str) -> list[dict[str, Any]]:
    """The report files that landed in the bucket: key, size and content type."""
    s3 = stack.boto("s3")
    out: list[dict[str, Any]] = []
    for obj in s3.list_objects_v2(Bucket=stack.bucket, Prefix=prefix).get("Contents", []):
        head = s3.head_object(Bucket=stack.bucket, Key=obj["Key"])
        out.append({"key": obj["Key"], "bytes": int(obj["Size"]), "content_type": head.get("ContentType")})
    return out


def format_local(result: dict[str, Any]) -> str:
    """A short human-readable account of a ``run_local`` result."""
    lines: list[str] = []
    for up in result["uploads"]:
        rec = up["upload"][0] if up["upload"] else {}
        lines.append(f"upload {rec.get('upload_id')}  status {rec.get('status')}  format {rec.get('format')}  "
                     f"claims {rec.get('claims')}  findings {rec.get('findings')}  "
                     f"at stake ${rec.get('amount_at_stake')}")
        if rec.get("rejection"):
            lines.append(f"  rejected: {rec['rejection'].get('message')}")
        lines.append(f"DynamoDB: {len(up['findings'])} finding item(s), {len(up['prices'])} price item(s)")
        for f in up["findings"]:
            where = f"claim {f.get('claim_id')} line {f.get('line')}" if f.get("claim_id") else "file"
            lines.append(f"  {f['severity']:<7} {f['rule']:<28} {where}: {f['message']}")
        for p in up["prices"]:
            lines.append(f"  price   claim {p['claim_id']} line {p['line']} {p['code']}: "
                         f"${p.get('expected_allowed', '-')} ({p['basis']})")
    reports = result.get("reports", [])
    lines.append(f"S3 reports: {len(reports)} file(s)")
    for r in reports:
        lines.append(f"  s3://.../{r['key']}  {r['bytes']:,} bytes  {r['content_type']}")
    lines.append(f"SNS -> subscriber queue: {len(result['alerts'])} message(s)")
    for a in result["alerts"]:
        b = a["body"]
        what = f"claim {b['claim_id']} rules {','.join(b['rules'])}" if "claim_id" in b else b.get("status", "")
        lines.append(f"  {b['event_type']:<16} {what}")
    return "\n".join(lines)
