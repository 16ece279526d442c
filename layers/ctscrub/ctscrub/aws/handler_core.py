"""One S3 object through the pipeline with the AWS sinks, and the upload record's status around it.

Statuses: ``PROCESSING`` at the start, ``COMPLETED`` or ``REJECTED`` at the end, ``FAILED`` (with a reason
that names an error type, never claim content) when an unexpected exception escapes; the exception is
re-raised so Lambda retries and, after the retries, the on-failure destination receives the event.

A retry of an upload that did not finish (``PROCESSING`` after a killed invocation, or ``FAILED``) redoes
it from the start against the processing date pinned by the first attempt: the earlier attempt's items
are deleted and rewritten, the report is overwritten, and alerts resume after their checkpoint. Order of
the end-of-upload steps: report written; then, batch by batch, the findings a batch of alerts needs (and
the checkpoint of the batch before) written, the batch published; the rest of the findings and the last
checkpoint written; the record marked finished.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ctscrub.aws import keys
from ctscrub.aws.alerts import AlertProgress, AlertPublishError, AlertsSink, SnsBatchPublisher
from ctscrub.aws.batch_writes import BatchWriteIncomplete
from ctscrub.aws.deadline import Deadline, DeadlineExceeded, DeadlineGuard
from ctscrub.aws.findings_table import (
    FINAL_STATUSES,
    FindingsTableSink,
    UploadRecords,
    purge_upload_items,
    with_alert_progress,
)
from ctscrub.aws.reports import S3ReportSink
from ctscrub.aws.s3_source import S3ObjectSource
from ctscrub.aws.screening_history import DynamoScreeningHistory, HashKeyError, load_hash_key
from ctscrub.aws.settings import SCREENING_HASH_KEY, Settings, SettingsError
from ctscrub.pipeline import ScrubOptions, scrub

if TYPE_CHECKING:
    from ctscrub.refdata import ReferenceData


@dataclass(frozen=True, slots=True)
class ObjectRef:
    bucket: str
    key: str  # decoded (unquote_plus) object key
    version_id: str | None
    etag: str | None

    @property
    def version(self) -> str | None:
        return self.version_id or self.etag

    @property
    def upload_id(self) -> str:
        return keys.upload_id(self.bucket, self.key, self.version)

    def as_dict(self) -> dict[str, str]:
        """The idempotency payload: bucket, key and version or ETag, nothing else."""
        return {"bucket": self.bucket, "key": self.key, "version": self.version or ""}


@dataclass
class AwsClients:
    """boto3 clients, created on first use (never at import: cold start, and moto must be active first)."""

    region: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def _session(self) -> Any:
        if "session" not in self._cache:
            import boto3

            self._cache["session"] = boto3.session.Session(region_name=self.region)
        return self._cache["session"]

    @staticmethod
    def _config() -> Any:
        from botocore.config import Config

        # standard mode retries throttling and 5xx with backoff; BatchWriter resends unprocessed items
        return Config(retries={"mode": "standard", "max_attempts": 8})

    def client(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._session().client(name, config=self._config())
        return self._cache[name]

    def table(self, name: str) -> Any:
        cache_key = f"table:{name}"
        if cache_key not in self._cache:
            self._cache[cache_key] = self._session().resource("dynamodb", config=self._config()).Table(name)
        return self._cache[cache_key]


class UploadFailed(RuntimeError):
    """Raised instead of the original exception, whose text could quote claim content.

    Lambda copies the error message into its logs and into the on-failure destination record, so only
    the upload id and a safe reason travel; ``frames`` keeps the traceback's file/line/function list
    (no values) for the log.
    """

    def __init__(self, upload_id: str, reason: str, frames: list[str]) -> None:
        super().__init__(f"upload {upload_id} failed: {reason}")
        self.upload_id = upload_id
        self.reason = reason
        self.frames = frames


def safe_reason(exc: BaseException) -> str:
    """A failure reason for the upload record: error types and AWS error codes only, never content."""
    if isinstance(exc, AlertPublishError | SettingsError | HashKeyError | DeadlineExceeded | BatchWriteIncomplete):
        return f"{type(exc).__name__}: {exc}"
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return f"{type(exc).__name__}: {code}" if code else type(exc).__name__


class UploadProcessor:
    def __init__(self, settings: Settings, clients: AwsClients, refdata: Callable[[], ReferenceData]) -> None:
        self.settings = settings
        self.clients = clients
        # a factory: each upload gets a fresh ReferenceData (its missing-data notes are per upload)
        self.refdata = refdata
        self._hash_key: bytes | None = None

    def hash_key(self) -> bytes:
        if self._hash_key is None:
            secret = self.settings.screening_hash_key_secret
            self._hash_key = load_hash_key(
                secret_id=secret, env_value=os.environ.get(SCREENING_HASH_KEY),
                secrets_client=self.clients.client("secretsmanager") if secret else None)
        return self._hash_key

    def process(self, ref: ObjectRef, remaining_ms: Callable[[], int] | None = None) -> dict[str, Any]:
        """Scrub one object; returns ids and counts only (this is what the idempotency table stores).

        ``remaining_ms`` is the Lambda context's clock: the upload stops cleanly (``DeadlineExceeded``,
        status ``FAILED``) when less than the configured margin is left.
        """
        s = self.settings
        uid = ref.upload_id
        table = self.clients.table(s.findings_table)
        records = UploadRecords(table)
        existing = records.get(uid)
        if existing and existing.get("status") in FINAL_STATUSES:
            # already finished by an earlier delivery whose idempotency record has expired
            return {"upload_id": uid, "status": existing["status"], "duplicate": True}
        skip = int(existing.get("alerts_published", 0)) if existing else 0
        skip_also = tuple(int(i) for i in existing.get("alerts_sent_after", [])) if existing else ()
        today = s.as_of or datetime.now(UTC).date()
        deadline = Deadline(remaining_ms, s.deadline_margin_ms)
        source = S3ObjectSource(self.clients.client("s3"), ref.bucket, ref.key, ref.version_id, s.max_upload_bytes)
        report = S3ReportSink(self.clients.client("s3"), ref.bucket, s.reports_prefix, uid)
        table_sink: FindingsTableSink | None = None
        alert_progress: AlertProgress | None = None  # set once publishing reported progress
        try:
            record = records.mark_processing(uid, bucket=ref.bucket, key=ref.key, version=ref.version, size=None,
                                             as_of=today.isoformat())
            as_of = date.fromisoformat(str(record.get("as_of") or today.isoformat()))
            deadline.check("start")
            if existing is not None:
                purge_upload_items(table, uid)  # an unfinished earlier attempt: rewrite its items from scratch
            history = DynamoScreeningHistory(table, self.hash_key(), uid)
            table_sink = FindingsTableSink(table, uid, extra_items=history.drain,
                                           before_write=lambda: deadline.check("findings"))

            def progress(p: AlertProgress) -> None:
                # the checkpoint rides in the next findings write call, which goes out before the next batch
                nonlocal record, alert_progress
                record, alert_progress = with_alert_progress(record, p), p
                table_sink.stage(record)

            def before_batch(needs: int) -> None:
                deadline.check("alerts")
                table_sink.write_through(needs)

            alerts = AlertsSink(
                SnsBatchPublisher(self.clients.client("sns"), s.alerts_topic_arn),
                upload_id=uid, source_key=ref.key, min_severity=s.alert_min_severity, skip=skip,
                skip_also=skip_also, progress=progress, before_batch=before_batch,
                needs=lambda: table_sink.spooled,
            )
            options = ScrubOptions(as_of=as_of, refdata=self.refdata(), default_locality=s.default_locality,
                                   max_bytes=s.max_upload_bytes, screening_history=history)
            # the guard first: it stops before the writers see a claim (or the end) too close to the timeout
            summary = scrub(source, options, [DeadlineGuard(deadline), table_sink, report, alerts],
                            upload_id=uid, source_name=ref.key)
            if summary.status == "rejected":
                history.forget_written()
            else:
                table_sink.flush()  # what no alert needed, the screens, and the last checkpoint
            summary.bytes_read = source.bytes_read
            status = records.mark_finished(summary, alerts_published=alerts.state().published,
                                           report_prefix=report.prefix)
        except Exception as exc:
            reason = safe_reason(exc)
            try:
                records.mark_failed(uid, reason, alert_progress)
            except Exception:  # DynamoDB itself is down: Lambda's retry and the failure queue still see it
                reason += " (the upload record could not be marked FAILED)"
            frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
            raise UploadFailed(uid, reason, frames) from None
        finally:
            source.close()
            report.close()
            if table_sink is not None:
                table_sink.close()
        return {
            "upload_id": uid,
            "status": status,
            "claims": summary.claims,
            "findings": summary.finding_count,
            "errors": int(summary.by_severity.get("error", 0)),
            "claims_with_errors": summary.claims_with_errors,
            "items_written": table_sink.items_written,
            "claim_alerts": alerts.claim_alerts,
            "alerts_sent": alerts.sent_now,
            "rejection_rule": summary.rejection.rule if summary.rejection else None,
            "reports": report.keys,
        }
