"""events/: one S3 put event per sample file, each run through the real handler against moto."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from ctscrub.aws import sandbox

ROOT = Path(__file__).resolve().parents[1]
EVENTS = sorted((ROOT / "events").glob("s3-put-*.json"))
_spec = importlib.util.spec_from_file_location("gen_events", ROOT / "scripts" / "gen_events.py")
assert _spec is not None and _spec.loader is not None
gen_events = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_events)


def _alert_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    doc = (ROOT / "docs" / "CONTRACTS.md").read_text()
    block = doc.split("### JSON Schema (schema_version 1)", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    return jsonschema.Draft202012Validator(json.loads(block))


def test_every_sample_file_has_an_up_to_date_event() -> None:
    """Rerun scripts/gen_events.py when this fails: events/ must match samples/ (names, sizes, ETags)."""
    samples = ROOT / "samples"
    files = gen_events.sample_files(samples)
    assert files, "no sample files"
    assert sorted(gen_events.event_name(f, samples) for f in files) == [e.name for e in EVENTS]
    for f in files:
        obj = json.loads((ROOT / "events" / gen_events.event_name(f, samples)).read_text())["Records"][0]["s3"]
        assert unquote_plus(obj["object"]["key"]) == gen_events.object_key(f, samples)
        assert obj["object"]["size"] == f.stat().st_size


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[sandbox.EmbeddedStack, Any]]:
    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):  # restores the environment on exit
        st.subscribe_queue("all")
        yield st, app


@pytest.mark.parametrize("event_file", EVENTS, ids=[e.stem for e in EVENTS])
def test_event_runs_through_the_handler(stack: tuple[sandbox.EmbeddedStack, Any], event_file: Path) -> None:
    st, app = stack
    event = json.loads(event_file.read_text())
    obj = event["Records"][0]["s3"]
    assert obj["bucket"]["name"] == st.bucket
    key = unquote_plus(obj["object"]["key"])
    sample = ROOT / "samples" / key.removeprefix("incoming/")
    boto3.client("s3", region_name=sandbox.REGION).put_object(Bucket=st.bucket, Key=key, Body=sample.read_bytes())

    (up,) = app.lambda_handler(event, sandbox.FakeLambdaContext())["uploads"]
    table = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)
    items = table.query(KeyConditionExpression=Key("pk").eq(f"UPLOAD#{up['upload_id']}"))["Items"]
    record = next(i for i in items if i["sk"] == "UPLOAD")
    alerts = st.drain("all")
    validator = _alert_validator()
    for a in alerts:  # every message follows the published schema
        validator.validate(a["body"])
    assert record["status"] == up["status"]
    if record["status"] == "REJECTED":
        assert [i["sk"] for i in items] == ["UPLOAD"] and record["rejection"]["message"]
        assert [a["body"]["event_type"] for a in alerts] == ["upload.rejected"]
        return
    assert record["status"] == "COMPLETED" and record["claims"] > 0
    stored = [i for i in items if i["sk"].startswith(("FINDING#", "FILE#"))]
    assert len(stored) == record["findings"] == sum(record["by_rule"].values())
    claim_alerts = [a["body"] for a in alerts if a["body"]["event_type"] == "claim.findings"]
    assert len(claim_alerts) == record["claims_with_errors"] == up["claim_alerts"]
    for body in claim_alerts:  # each alert agrees with the findings stored for that claim
        claim_rules = {i["rule"] for i in stored if i.get("claim_id") == body["claim_id"]}
        assert set(body["rules"]) <= claim_rules
    assert [a["body"]["event_type"] for a in alerts][-1] == "upload.completed"
