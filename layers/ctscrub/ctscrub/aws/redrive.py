"""Redrive failed uploads: re-invoke the function with the S3 events parked in the on-failure queue.

Lambda's on-failure destination record holds the original event under ``requestPayload``. Each message
is deleted only after its event was handed back to the function; a message whose re-invocation fails
stays in the queue (it reappears after the visibility timeout). Idempotency and the upload record make a
redrive of an upload that has meanwhile finished a no-op.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Invoke = Callable[[dict[str, Any]], None]


@dataclass
class RedriveReport:
    redriven: int = 0
    failed: int = 0
    skipped: int = 0  # messages that hold no S3 event (left in the queue for a person to look at)
    errors: list[str] = field(default_factory=list)  # error types only

    def to_dict(self) -> dict[str, object]:
        return {"redriven": self.redriven, "failed": self.failed, "skipped": self.skipped, "errors": self.errors}


def lambda_invoker(lambda_client: Any, function_name: str) -> Invoke:
    """Invoke the deployed function asynchronously, as S3 would (retries and destination apply again)."""

    def invoke(event: dict[str, Any]) -> None:
        resp = lambda_client.invoke(FunctionName=function_name, InvocationType="Event",
                                    Payload=json.dumps(event).encode("utf-8"))
        if int(resp.get("StatusCode", 0)) != 202:
            raise RuntimeError(f"Lambda returned status {resp.get('StatusCode')}")

    return invoke


def original_event(message_body: str) -> dict[str, Any] | None:
    """The S3 event inside an on-failure destination record, or None if the body is something else."""
    try:
        record = json.loads(message_body)
    except ValueError:
        return None
    payload = record.get("requestPayload") if isinstance(record, dict) else None
    if isinstance(payload, dict) and isinstance(payload.get("Records"), list):
        return payload
    return None


def redrive(sqs: Any, queue_url: str, invoke: Invoke, *, max_messages: int = 1000,
            visibility_timeout: int = 300) -> RedriveReport:
    """Hand every parked event back to ``invoke``; each message is looked at once per run."""
    report = RedriveReport()
    seen: set[str] = set()
    while len(seen) < max_messages:
        resp = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(10, max_messages - len(seen)),
                                   WaitTimeSeconds=0, VisibilityTimeout=visibility_timeout)
        messages = [m for m in resp.get("Messages", []) if m["MessageId"] not in seen]
        if not messages:
            break
        for msg in messages:
            seen.add(msg["MessageId"])
            event = original_event(msg["Body"])
            if event is None:
                report.skipped += 1
                continue
            try:
                invoke(event)
            except Exception as exc:
                report.failed += 1
                report.errors.append(type(exc).__name__)
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=msg["ReceiptHandle"])
            report.redriven += 1
    return report
