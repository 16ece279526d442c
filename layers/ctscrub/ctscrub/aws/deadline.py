"""Stop an invocation cleanly before Lambda's timeout kills it.

A killed invocation leaves no trace of why (and its idempotency record stays "in progress" until it
expires). Instead, the processor checks the remaining time at safe points: before starting, before each
claim is handed to the writers, before the end-of-upload writes and before each alert batch. When less
than the margin is left it raises ``DeadlineExceeded``; the upload is marked ``FAILED`` with that reason,
the exception makes Lambda retry, and the retry rewrites the same deterministic items and resumes the
alerts after their checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ctscrub.model import ClaimResult

if TYPE_CHECKING:
    from ctscrub.pipeline import UploadSummary


class DeadlineExceeded(RuntimeError):
    """Too little time is left to continue safely (the message names the stage and milliseconds only)."""

    def __init__(self, stage: str, remaining_ms: int) -> None:
        super().__init__(f"{remaining_ms} ms left at {stage}")
        self.stage = stage
        self.remaining_ms = remaining_ms


class Deadline:
    """``remaining_ms`` is the Lambda context's ``get_remaining_time_in_millis`` (None: no deadline)."""

    def __init__(self, remaining_ms: Callable[[], int] | None, margin_ms: int) -> None:
        self._remaining = remaining_ms
        self.margin_ms = margin_ms

    def check(self, stage: str) -> None:
        if self._remaining is None:
            return
        left = int(self._remaining())
        if left < self.margin_ms:
            raise DeadlineExceeded(stage, left)


class DeadlineGuard:
    """A pipeline sink placed first: checks the deadline before the other sinks see each claim and the end."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def claim(self, result: ClaimResult) -> None:
        self._deadline.check("claim")

    def finish(self, summary: UploadSummary) -> None:
        self._deadline.check("finish")
