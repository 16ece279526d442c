"""The order of an upload's writes and alerts (docs/CONTRACTS.md, "When items appear"), through the real
handler on moto: a claim's items are in the table before its ``claim.findings`` message goes out, every item
before ``upload.completed``, and each alert checkpoint rides in a findings write instead of its own call.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from ctscrub.aws import sandbox
from ctscrub.aws.alerts import SnsBatchPublisher
from ctscrub.aws.batch_writes import BatchWriter
from test_aws_helpers import csv_claims, expected, item_counts, record, table, uid_of

BODY = csv_claims(120)  # 90 claims alert -> 91 messages in 10 batches; ~300 items
EXP = expected(BODY)


@pytest.fixture
def stack(subscribed_stack: tuple[sandbox.EmbeddedStack, Any]) -> tuple[sandbox.EmbeddedStack, Any]:
    return subscribed_stack


def _record_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Any]]]:
    """Every BatchWriteItem (its put items) and PublishBatch (its message bodies), in the order sent."""
    log: list[tuple[str, list[Any]]] = []
    send, publish = BatchWriter._send, SnsBatchPublisher.publish

    def logged_send(self: BatchWriter, requests: list[dict[str, Any]]) -> None:
        send(self, requests)
        log.append(("write", [r["PutRequest"]["Item"] for r in requests if "PutRequest" in r]))

    def logged_publish(self: SnsBatchPublisher, batch: list[tuple[str, dict[str, Any]]]) -> None:
        publish(self, batch)
        log.append(("publish", [json.loads(body) for body, _ in batch]))

    monkeypatch.setattr(BatchWriter, "_send", logged_send)
    monkeypatch.setattr(SnsBatchPublisher, "publish", logged_publish)
    return log


def test_items_go_out_before_the_alerts_that_name_them_and_checkpoints_ride_along(
        stack: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    st, app = stack
    event = st.upload(BODY, "incoming/order.csv")
    log = _record_calls(monkeypatch)
    app.lambda_handler(event, sandbox.FakeLambdaContext())
    uid = uid_of(st, event)

    written_claims: set[str] = set()
    items_written = 0
    publishes = 0
    for kind, payload in log:
        if kind == "write":
            findings = [i for i in payload if i["sk"] != "UPLOAD"]
            written_claims.update(i["claim_id"] for i in findings if "claim_id" in i)
            items_written += len(findings)
            continue
        publishes += 1
        for body in payload:
            if body["event_type"] == "claim.findings":
                assert body["claim_id"] in written_claims, body["claim_id"]
            else:  # upload.completed: after every finding and price of the upload
                assert items_written == EXP.finding_items + EXP.price_items

    writes = [payload for kind, payload in log if kind == "write"]
    checkpoints = [i for payload in writes for i in payload if i["sk"] == "UPLOAD"]
    assert publishes == -(-EXP.alerts // 10)
    # one checkpoint per batch, each a whole upload record; all but the last share a call with findings
    assert len(checkpoints) == publishes
    assert [int(c["alerts_published"]) for c in checkpoints] == [min(10 * n, EXP.alerts)
                                                                  for n in range(1, publishes + 1)]
    assert all(c["status"] == "PROCESSING" and c["source_key"] == "incoming/order.csv" for c in checkpoints)
    # a checkpoint has a call to itself only once every item is written (before the last batch, or the last)
    done = 0
    for payload in writes:
        if [i["sk"] for i in payload] == ["UPLOAD"]:
            assert done == EXP.finding_items + EXP.price_items
        done += sum(i["sk"] != "UPLOAD" for i in payload)
    alone = sum([i["sk"] for i in p] == ["UPLOAD"] for p in writes)
    assert 1 <= alone <= 2
    # the fewest calls: every write but the last of each run before a publish is full
    total = sum(len(p) for p in writes)
    assert len(writes) <= -(-total // 25) + publishes

    rec = record(table(st), uid)
    assert rec["status"] == "COMPLETED" and rec["alerts_published"] == EXP.alerts and rec["attempts"] == 1
    assert item_counts(table(st), uid) == (EXP.finding_items, EXP.price_items)
    assert len(st.drain("all")) == EXP.alerts


def test_a_rejected_upload_writes_nothing_but_its_record(stack: tuple[Any, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Items wait until the whole file was read: a file rejected at its last line wrote none to delete."""
    st, app = stack
    event = st.upload(BODY + b"C9999,1,\x00\x00\x00\n", "incoming/late-reject.csv")
    log = _record_calls(monkeypatch)
    app.lambda_handler(event, sandbox.FakeLambdaContext())
    uid = uid_of(st, event)
    assert record(table(st), uid)["status"] == "REJECTED"
    assert [kind for kind, _ in log] == ["publish"]  # the upload.rejected message only
    assert item_counts(table(st), uid) == (0, 0)
