"""In-memory LDCT screening history (``rules.registry.ScreeningHistory``) for the CLI and tests.

The same beneficiary is the same member id (the Medicare beneficiary identifier) when the claim has one,
else ``Claim.patient_key()``. Keys are hashed with a per-instance random key, so the history holds no
member id in clear and its keys mean nothing outside this process. The AWS deployment uses the
DynamoDB implementation (keyed HMAC from configuration) instead.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

from ctscrub.model import Claim


def beneficiary_key(claim: Claim, secret: bytes) -> str:
    """A keyed, non-reversible key for "same beneficiary" across claims and uploads."""
    member = (claim.member_id or "").strip().upper()
    raw = ("member|" + member) if member else ("patient|" + claim.patient_key())
    return hashlib.blake2b(raw.encode(), key=secret, digest_size=16).hexdigest()


class InMemoryScreeningHistory:
    """Screen dates per beneficiary, kept for the life of the object (one CLI run, one test)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._screens: dict[str, set[date]] = {}
        self._last_claim: Claim | None = None  # the claim whose key is _last_key (identity, not equality)
        self._last_key = ""

    def _key(self, claim: Claim) -> str:
        # LDCT_FREQUENCY asks for a claim's screens, then records them: hash the claim's identity once
        if self._last_claim is not claim:
            self._last_claim, self._last_key = claim, beneficiary_key(claim, self._secret)
        return self._last_key

    def previous_screens(self, claim: Claim) -> list[date]:
        return sorted(self._screens.get(self._key(claim), ()))

    def record_screen(self, claim: Claim, service_date: date) -> None:
        self._screens.setdefault(self._key(claim), set()).add(service_date)

    def __len__(self) -> int:
        """Number of beneficiaries with at least one recorded screen."""
        return len(self._screens)

    def __repr__(self) -> str:  # never show keys or dates in logs
        return f"InMemoryScreeningHistory(beneficiaries={len(self._screens)})"
