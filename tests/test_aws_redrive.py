"""Redrive: failed uploads parked in the on-failure queue are re-processed and the upload completes."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from ctscrub.aws import keys, sandbox
from ctscrub.aws.handler_core import UploadFailed
from ctscrub.aws.redrive import lambda_invoker, original_event, redrive

CSV = (b"claim_id,line,service_date,place_of_service,procedure_code,units,charge,diagnosis_codes,ordering_npi\n"
       b"R1,1,2026-09-02,11,G0297,1,300.00,Z87.891,1234567893\n")


def _destination_record(event: dict[str, Any]) -> str:
    """What Lambda's on-failure destination puts in the queue (shape of an asynchronous invocation record)."""
    return json.dumps({
        "version": "1.0", "timestamp": "2026-11-01T00:00:00.000Z",
        "requestContext": {"requestId": "r", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f",
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "upload x failed: ClientError: NotFound", "errorType": "UploadFailed"},
    })


def test_original_event_is_read_from_a_destination_record_only() -> None:
    event = sandbox.s3_put_event("b", "incoming/a.csv", size=1, etag="e")
    assert original_event(_destination_record(event)) == event
    assert original_event("not json") is None
    assert original_event(json.dumps({"requestPayload": {"no": "records"}})) is None


def test_failed_upload_is_redriven_to_completion() -> None:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        sns = st.boto("sns")
        subs = sns.list_subscriptions_by_topic(TopicArn=st.topic_arn)["Subscriptions"]
        sns.delete_topic(TopicArn=st.topic_arn)  # SNS down: the invocation fails
        event = st.upload(CSV, "incoming/redrive.csv")
        with pytest.raises(UploadFailed):
            app.lambda_handler(event, sandbox.FakeLambdaContext())
        sqs = st.boto("sqs")
        sqs.send_message(QueueUrl=st.failure_queue_url, MessageBody=_destination_record(event))
        sqs.send_message(QueueUrl=st.failure_queue_url, MessageBody="garbage")
        table = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)
        uid = keys.upload_id(st.bucket, "incoming/redrive.csv", event["Records"][0]["s3"]["object"]["versionId"])
        pk = {"pk": f"UPLOAD#{uid}", "sk": "UPLOAD"}
        assert table.get_item(Key=pk)["Item"]["status"] == "FAILED"

        def invoke(e: dict[str, Any]) -> None:
            app.lambda_handler(e, sandbox.FakeLambdaContext())

        # still down: the redrive fails and the message stays
        report = redrive(sqs, st.failure_queue_url, invoke, visibility_timeout=0)
        assert (report.redriven, report.failed, report.skipped) == (0, 1, 1)
        assert report.errors == ["UploadFailed"]

        sns.create_topic(Name=st.topic_arn.rsplit(":", 1)[1])
        sns.subscribe(TopicArn=st.topic_arn, Protocol="sqs", Endpoint=subs[0]["Endpoint"],
                      Attributes={"RawMessageDelivery": "true"})
        report = redrive(sqs, st.failure_queue_url, invoke, visibility_timeout=0)
        assert (report.redriven, report.failed, report.skipped) == (1, 0, 1)  # the garbage message stays
        assert table.get_item(Key=pk)["Item"]["status"] == "COMPLETED"
        events = [a["body"]["event_type"] for a in st.drain("all")]
        assert events.count("upload.completed") == 1 and "claim.findings" in events


def test_lambda_invoker_invokes_asynchronously() -> None:
    calls: list[dict[str, Any]] = []

    class FakeLambda:
        def invoke(self, **kw: Any) -> dict[str, Any]:
            calls.append(kw)
            return {"StatusCode": 202}

    lambda_invoker(FakeLambda(), "fn")({"Records": []})
    assert calls[0]["InvocationType"] == "Event" and json.loads(calls[0]["Payload"]) == {"Records": []}
    with pytest.raises(RuntimeError):
        lambda_invoker(type("L", (), {"invoke": lambda self, **kw: {"StatusCode": 500}})(), "fn")({})
