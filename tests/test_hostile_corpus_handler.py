"""The bad-input corpus through the real Lambda handler on moto (issue 5, "Bad input").

Every committed corpus file is uploaded under ``incoming/`` and the handler is invoked with the S3 event.
An unreadable upload must end as a ``REJECTED`` upload record with the reason and exactly one
``upload.rejected`` alert, and no finding items; an upload whose problems are confined to rows or claims
is ``COMPLETED`` with those problems as findings. None may fail the invocation, loop, or leave the record
in ``PROCESSING`` / ``FAILED``. The outcome must match what the offline pipeline decides for the same file
(``tests/test_hostile_corpus.py`` checks that outcome against the manifest).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key
from ctscrub.aws import sandbox
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import load_reference_data

CORPUS = Path(__file__).parent / "corpus" / "hostile"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text("utf-8"))
CASES = [c for c in MANIFEST["cases"] if not c["generated_at_test_time"]]
AS_OF = "2026-11-28"


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[sandbox.EmbeddedStack, Any]]:
    env = {"SCRUB_AS_OF": AS_OF, "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("rejections", {"event_type": ["upload.rejected"]})
        yield st, app


def _offline_status(path: Path) -> str:
    with path.open("rb") as fh:
        summary = scrub(fh, ScrubOptions(as_of=date.fromisoformat(AS_OF), refdata=load_reference_data()),
                        [CollectingSink()], upload_id="offline", source_name=path.name)
    return summary.status


def test_the_corpus_has_at_least_fifty_uploads() -> None:
    assert len(MANIFEST["cases"]) >= 50


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_upload_ends_recorded_through_the_handler(stack: tuple[sandbox.EmbeddedStack, Any],
                                                      case: dict[str, Any]) -> None:
    st, app = stack
    path = CORPUS / case["file"]
    event = st.upload(path, f"incoming/hostile/{case['file']}")
    result = app.lambda_handler(event, sandbox.FakeLambdaContext())  # must not raise
    (up,) = result["uploads"]
    table = boto3.resource("dynamodb", region_name=sandbox.REGION).Table(st.findings_table)
    items = table.query(KeyConditionExpression=Key("pk").eq(f"UPLOAD#{up['upload_id']}"))["Items"]
    record = next(i for i in items if i["sk"] == "UPLOAD")
    rejections = [a for a in st.drain("rejections") if a["body"].get("upload_id") == up["upload_id"]]

    expected = "REJECTED" if _offline_status(path) == "rejected" else "COMPLETED"
    assert record["status"] == expected, case["what"]
    if expected == "REJECTED":
        assert record["rejection"]["message"] and record["rejection"]["suggestion"]
        assert len(rejections) == 1
        assert not [i for i in items if i["sk"].startswith(("FINDING#", "PRICE#"))]  # no partial write
    else:
        assert rejections == []
