"""Fault injection shared by the SNS tests: publish a batch through the real (moto) client, minus some entries."""

from __future__ import annotations

from typing import Any


def publish_failing(real: Any, topic_arn: str, entries: list[dict[str, Any]],
                    bad: list[dict[str, Any]]) -> dict[str, Any]:
    """Publish ``entries`` except ``bad``, which come back as ``Failed`` (SNS's partial-failure answer)."""
    good = [e for e in entries if e not in bad]
    resp: dict[str, Any] = (real.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=good)
                            if good else {"Successful": [], "Failed": []})
    resp["Failed"] = [*resp.get("Failed", []),
                      *({"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in bad)]
    return resp
