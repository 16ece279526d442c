"""LDCT screening history across uploads, in the findings table, keyed by a keyed hash of the member.

``pk=SCREEN#<HMAC-SHA256(key, member id)>``, ``sk=DOS#<date>#UPLOAD#<upload_id>#<claim_id>``. The key
comes from configuration (Secrets Manager in AWS, an environment variable locally) and is never logged;
without it a stored digest cannot be linked back to a member id. Screens recorded by the current upload
are ignored when reading, so a retried upload does not see its own earlier attempt as a prior screen.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from typing import Any

from boto3.dynamodb.conditions import Key

from ctscrub.aws import keys
from ctscrub.aws.batch_writes import BatchWriter
from ctscrub.model import Claim

MIN_KEY_BYTES = 32


class HashKeyError(ValueError):
    """The screening hash key is missing or too short (the message never contains the key)."""


def check_key(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise HashKeyError(f"the screening hash key must be at least {MIN_KEY_BYTES} bytes")
    return key


def member_digest(key: bytes, claim: Claim) -> str:
    """HMAC-SHA256 of the normalized member id (or of the in-memory patient key when there is none)."""
    member = (claim.member_id or "").strip().upper()
    material = f"member:{member}" if member else f"patient:{claim.patient_key()}"
    return hmac.new(key, material.encode("utf-8"), hashlib.sha256).hexdigest()


class DynamoScreeningHistory:
    """``ScreeningHistory`` backed by DynamoDB.

    Screens recorded by this upload are kept in memory (so later claims of the same upload see them) and
    written only when the upload completes: the handler hands them (``drain()``) to the findings writes, 25
    items per call with the findings; ``flush()`` writes them on their own. A rejected upload leaves no
    screen behind.
    """

    def __init__(self, table: Any, key: bytes, upload_id: str) -> None:
        self._table = table
        self._key = check_key(key)
        self._uid = upload_id
        self._this_upload: dict[str, set[date]] = {}  # member digest -> screens recorded by this upload
        self._pending: list[dict[str, str]] = []  # items to write on flush()

    def __repr__(self) -> str:  # never show the key
        return f"DynamoScreeningHistory(upload_id={self._uid!r})"

    def previous_screens(self, claim: Claim) -> list[date]:
        digest = member_digest(self._key, claim)
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(keys.screen_pk(digest)),
                                  "ProjectionExpression": "service_date, upload_id"}
        dates: set[date] = set(self._this_upload.get(digest, ()))
        while True:
            resp = self._table.query(**kwargs)
            for item in resp.get("Items", []):
                # an earlier attempt of this same upload is not a prior screen (a retry rewrites it)
                if item.get("upload_id") != self._uid:
                    dates.add(date.fromisoformat(item["service_date"]))
            if "LastEvaluatedKey" not in resp:
                break
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return sorted(dates)

    def record_screen(self, claim: Claim, service_date: date) -> None:
        digest = member_digest(self._key, claim)
        self._this_upload.setdefault(digest, set()).add(service_date)
        self._pending.append({"pk": keys.screen_pk(digest),
                              "sk": keys.screen_sk(service_date.isoformat(), self._uid, claim.claim_id),
                              "entity": "screen", "service_date": service_date.isoformat(),
                              "upload_id": self._uid, "claim_id": claim.claim_id})

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> int:
        """Write the screens of this upload (deterministic keys: a retry overwrites); return how many."""
        items = self.drain()
        with BatchWriter(self._table) as writer:
            for item in items:
                writer.put(item)
        return len(items)

    def drain(self) -> list[dict[str, str]]:
        """The screens of this upload not written yet, for the caller to write (deterministic keys)."""
        items, self._pending = self._pending, []
        return items

    def forget_written(self) -> None:
        """Drop this upload's screens (used when the upload ends rejected): nothing was written yet."""
        self._pending.clear()
        self._this_upload.clear()


def load_hash_key(*, secret_id: str | None, env_value: str | None, secrets_client: Any = None) -> bytes:
    """The HMAC key: from Secrets Manager when a secret id is configured, else from the environment."""
    if secret_id:
        if secrets_client is None:
            raise HashKeyError("a Secrets Manager client is needed to read the screening hash key")
        value = secrets_client.get_secret_value(SecretId=secret_id).get("SecretString") or ""
        return check_key(value.encode("utf-8"))
    if env_value:
        return check_key(env_value.encode("utf-8"))
    raise HashKeyError("no screening hash key is configured (SCREENING_HASH_KEY_SECRET or SCREENING_HASH_KEY)")
