"""Every environment variable the AWS side reads, in one place (template.yaml must set each of them)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from ctscrub.model import Severity

# Names read by ctscrub.aws and the handler. tests/test_template.py checks the function's environment
# in template.yaml covers REQUIRED_ENV.
FINDINGS_TABLE = "FINDINGS_TABLE"
ALERTS_TOPIC_ARN = "ALERTS_TOPIC_ARN"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
ALERT_MIN_SEVERITY = "ALERT_MIN_SEVERITY"
MAX_UPLOAD_BYTES = "MAX_UPLOAD_BYTES"
INCOMING_PREFIX = "INCOMING_PREFIX"
REPORTS_PREFIX = "REPORTS_PREFIX"
DEFAULT_LOCALITY = "DEFAULT_LOCALITY"
SCREENING_HASH_KEY = "SCREENING_HASH_KEY"  # the HMAC key itself (local runs and tests only)
# the Secrets Manager secret id holding the key (AWS); a variable name, not a secret
SCREENING_HASH_KEY_SECRET = "SCREENING_HASH_KEY_SECRET"  # noqa: S105
IDEMPOTENCY_TTL_SECONDS = "IDEMPOTENCY_TTL_SECONDS"
DEADLINE_MARGIN_MS = "DEADLINE_MARGIN_MS"  # optional: stop cleanly when less time than this is left
SCRUB_AS_OF = "SCRUB_AS_OF"  # optional fixed processing date (local runs, tests); today (UTC) otherwise

REQUIRED_ENV: tuple[str, ...] = (
    FINDINGS_TABLE,
    ALERTS_TOPIC_ARN,
    IDEMPOTENCY_TABLE,
    ALERT_MIN_SEVERITY,
    MAX_UPLOAD_BYTES,
    INCOMING_PREFIX,
    REPORTS_PREFIX,
    SCREENING_HASH_KEY_SECRET,
    IDEMPOTENCY_TTL_SECONDS,
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE",
    "POWERTOOLS_TRACER_CAPTURE_ERROR",
    "LOG_LEVEL",
)
"""Variables the deployed function must have (DEFAULT_LOCALITY, SCREENING_HASH_KEY, SCRUB_AS_OF and
DEADLINE_MARGIN_MS are optional)."""


class SettingsError(ValueError):
    """A configuration value is missing or malformed (names the variable, never a secret value)."""


@dataclass(frozen=True, slots=True)
class Settings:
    findings_table: str
    alerts_topic_arn: str
    idempotency_table: str
    alert_min_severity: Severity = Severity.ERROR
    max_upload_bytes: int = 50 * 1024 * 1024
    incoming_prefix: str = "incoming/"
    reports_prefix: str = "reports/"
    default_locality: str | None = None
    screening_hash_key_secret: str | None = None
    idempotency_ttl_seconds: int = 24 * 3600
    as_of: date | None = None
    deadline_margin_ms: int = 20_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"environment variable {name} is not set")
            return value

        def integer(name: str, default: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = int(raw)
            except ValueError:
                raise SettingsError(f"environment variable {name} must be an integer") from None
            if value <= 0:
                raise SettingsError(f"environment variable {name} must be positive")
            return value

        sev_raw = env.get(ALERT_MIN_SEVERITY, "error").strip().lower() or "error"
        try:
            severity = Severity(sev_raw)
        except ValueError:
            raise SettingsError(f"{ALERT_MIN_SEVERITY} must be one of error, warning, info") from None
        as_of_raw = env.get(SCRUB_AS_OF, "").strip()
        try:
            as_of = date.fromisoformat(as_of_raw) if as_of_raw else None
        except ValueError:
            raise SettingsError(f"{SCRUB_AS_OF} must be a YYYY-MM-DD date") from None
        prefix = env.get(INCOMING_PREFIX, "incoming/").strip() or "incoming/"
        return cls(
            findings_table=need(FINDINGS_TABLE),
            alerts_topic_arn=need(ALERTS_TOPIC_ARN),
            idempotency_table=need(IDEMPOTENCY_TABLE),
            alert_min_severity=severity,
            max_upload_bytes=integer(MAX_UPLOAD_BYTES, 50 * 1024 * 1024),
            incoming_prefix=prefix if prefix.endswith("/") else prefix + "/",
            reports_prefix=env.get(REPORTS_PREFIX, "reports/").strip() or "reports/",
            default_locality=env.get(DEFAULT_LOCALITY, "").strip() or None,
            screening_hash_key_secret=env.get(SCREENING_HASH_KEY_SECRET, "").strip() or None,
            idempotency_ttl_seconds=integer(IDEMPOTENCY_TTL_SECONDS, 24 * 3600),
            as_of=as_of,
            deadline_margin_ms=integer(DEADLINE_MARGIN_MS, 20_000),
        )
