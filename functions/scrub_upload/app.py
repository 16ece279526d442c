"""Lambda entry point: S3 ObjectCreated events under incoming/ -> ctscrub pipeline -> DynamoDB + SNS.

Thin on purpose: parsing the event, idempotency and observability live here; everything else is in the
``ctscrub`` layer. Logger and Metrics are module level (cheap); there is no Tracer (the X-Ray SDK import
adds ~300 ms of cold start). boto3 clients and the idempotency store are created on first invocation.
The incoming event and claim content are never logged: only upload ids and counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()

# One Runtime per thread: Lambda runs one invocation at a time per execution environment, and tests that
# run the handler in several threads get one "environment" each (clients, idempotency config with its
# registered Lambda context) instead of sharing per-invocation state.
_local = threading.local()


class Runtime:
    """What one execution environment reuses across invocations: settings, clients, reference data."""

    def __init__(self) -> None:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )
        from ctscrub.aws.handler_core import AwsClients, UploadProcessor
        from ctscrub.aws.settings import Settings
        from ctscrub.refdata import load_reference_data, settle_process
        from ctscrub.rules import all_rules

        self.settings = Settings.from_env()
        clients = AwsClients()
        self.processor = UploadProcessor(self.settings, clients, load_reference_data)
        self.idempotency = IdempotencyConfig(expires_after_seconds=self.settings.idempotency_ttl_seconds)
        store = DynamoDBPersistenceLayer(table_name=self.settings.idempotency_table,
                                         boto3_client=clients.client("dynamodb"))

        def process(record: dict[str, str], remaining_ms: Callable[[], int] | None = None) -> dict[str, Any]:
            from ctscrub.aws.handler_core import ObjectRef

            return self.processor.process(ObjectRef(record["bucket"], record["key"],
                                                    record.get("version_id") or None,
                                                    record.get("etag") or None), remaining_ms)

        # keyed on bucket + key + versionId/ETag: a duplicate S3 delivery is processed once
        self.process = idempotent_function(data_keyword_argument="record", persistence_store=store,
                                           config=self.idempotency)(process)

        # What every upload shares, loaded before the first one so it can be frozen out of the garbage
        # collector's full collections (settle_process): the readers, the rule families (imported by the
        # first upload otherwise), the parsed reference tables and policies.
        import ctscrub.formats.csv_v1
        import ctscrub.formats.x12_837p
        import ctscrub.rules.screen  # noqa: F401

        all_rules()
        settle_process(load_reference_data())


_generation = 0  # bumped by reset_runtime: every thread's cached Runtime becomes stale


def runtime() -> Runtime:
    rt: Runtime | None = getattr(_local, "runtime", None)
    if rt is None or getattr(_local, "generation", -1) != _generation:
        rt = _local.runtime = Runtime()
        _local.generation = _generation
    return rt


def reset_runtime() -> None:
    """Forget clients and settings in every thread (tests start a fresh moto per test)."""
    global _generation
    _generation += 1
    _local.runtime = None


@metrics.log_metrics(raise_on_empty_metrics=False)
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("Event") == "s3:TestEvent":  # sent once when the notification is configured
        logger.info("ignored s3:TestEvent")
        return {"ignored": "s3:TestEvent", "uploads": []}
    rt = runtime()
    rt.idempotency.register_lambda_context(context)
    prefix = rt.settings.incoming_prefix
    results: list[dict[str, Any]] = []
    skipped = 0
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)  # S3 sends keys URL-encoded (space as '+')
        if not record.event_name.startswith("ObjectCreated") or not key.startswith(prefix):
            skipped += 1
            continue
        obj = record.s3.get_object
        payload = {"bucket": record.s3.bucket.name, "key": key,
                   "version_id": obj.version_id or "", "etag": "" if obj.version_id else obj.etag or ""}
        try:
            result = rt.process(record=payload, remaining_ms=context.get_remaining_time_in_millis)
        except Exception as exc:
            # UploadFailed carries a safe reason and code locations only; anything else is logged by type
            logger.error("upload failed", extra={"upload_id": getattr(exc, "upload_id", None),
                                                 "reason": getattr(exc, "reason", type(exc).__name__),
                                                 "frames": getattr(exc, "frames", None)})
            metrics.add_metric(name="UploadsFailed", unit=MetricUnit.Count, value=1)
            raise
        logger.info("upload processed", extra={k: result.get(k) for k in ("upload_id", "status", "claims",
                                                                              "findings", "claim_alerts")})
        _add_metrics(result)
        results.append(result)
    if skipped:
        logger.info("records skipped (not ObjectCreated under the incoming prefix)", extra={"skipped": skipped})
    return {"uploads": results, "skipped": skipped}


def _add_metrics(result: dict[str, Any]) -> None:
    if result.get("duplicate"):
        metrics.add_metric(name="DuplicateUploads", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="Uploads", unit=MetricUnit.Count, value=1)
    if result.get("status") == "REJECTED":
        metrics.add_metric(name="UploadsRejected", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Claims", unit=MetricUnit.Count, value=int(result.get("claims") or 0))
    metrics.add_metric(name="Findings", unit=MetricUnit.Count, value=int(result.get("findings") or 0))
    metrics.add_metric(name="ClaimAlerts", unit=MetricUnit.Count, value=int(result.get("claim_alerts") or 0))
