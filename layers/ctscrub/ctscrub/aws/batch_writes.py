"""BatchWriteItem with backoff on unprocessed items, and a bounded number of tries.

boto3's ``Table.batch_writer`` resends ``UnprocessedItems`` immediately and without limit: under
sustained throttling it spins. Here unprocessed items are resent after an exponential backoff with full
jitter (what AWS recommends for ``UnprocessedItems``), and after ``max_attempts`` rounds the write fails
loudly with ``BatchWriteIncomplete`` (so the upload is marked FAILED and retried) instead of losing items.
Throttling exceptions on the call itself (``ProvisionedThroughputExceededException``,
``ThrottlingException``) are retried by botocore's standard retry mode (see ``handler_core.AwsClients``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

BATCH_LIMIT = 25  # DynamoDB's maximum requests per BatchWriteItem


class BatchWriteIncomplete(RuntimeError):
    """DynamoDB left items unprocessed after every retry (the message holds counts only)."""


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rand() * min(cap, base * 2**attempt)


class BatchWriter:
    """Buffers put and delete requests for one table and sends them 25 at a time.

    Requests on the same key replace each other within the buffer (DynamoDB refuses a batch that
    touches one key twice). ``sleep`` is injectable so tests run without waiting.
    """

    def __init__(self, table: Any, *, key_names: tuple[str, ...] = ("pk", "sk"), max_attempts: int = 8,
                 base_delay: float = 0.05, max_delay: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = table.meta.client  # the resource's client: accepts plain Python values
        self._name = table.name
        self._keys = key_names
        self._max_attempts = max_attempts
        self._base = base_delay
        self._cap = max_delay
        self._sleep = sleep
        self._buffer: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.calls = 0
        self.resent = 0  # requests sent again because DynamoDB returned them unprocessed

    @property
    def pending(self) -> int:
        """Requests buffered for the next call (0 right after a call went out)."""
        return len(self._buffer)

    def _key(self, item: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(item[k] for k in self._keys)

    def put(self, item: dict[str, Any]) -> None:
        self._add(self._key(item), {"PutRequest": {"Item": item}})

    def delete(self, key: dict[str, Any]) -> None:
        self._add(self._key(key), {"DeleteRequest": {"Key": key}})

    def _add(self, key: tuple[Any, ...], request: dict[str, Any]) -> None:
        self._buffer.pop(key, None)
        self._buffer[key] = request
        if len(self._buffer) >= BATCH_LIMIT:
            self._send(list(self._buffer.values()))
            self._buffer.clear()

    def flush(self) -> None:
        if self._buffer:
            requests = list(self._buffer.values())
            self._buffer.clear()
            self._send(requests)

    def _send(self, requests: list[dict[str, Any]]) -> None:
        pending = requests
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(backoff_delay(attempt - 1, self._base, self._cap))
                self.resent += len(pending)
            self.calls += 1
            resp = self._client.batch_write_item(RequestItems={self._name: pending})
            pending = resp.get("UnprocessedItems", {}).get(self._name, [])
            if not pending:
                return
        raise BatchWriteIncomplete(
            f"DynamoDB left {len(pending)} of {len(requests)} item(s) unprocessed after {self._max_attempts} tries")

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.flush()
