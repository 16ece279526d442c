"""Deterministic ids and DynamoDB keys (the layout is documented in docs/CONTRACTS.md).

Every key is derived from the S3 object identity and the claim content, never from time or randomness,
so a retried or duplicated delivery overwrites the same items instead of adding new ones.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

UPLOAD_SK = "UPLOAD"


def upload_id(bucket: str, key: str, version: str | None) -> str:
    """The upload's id: a digest of bucket, decoded key and the object version (or ETag)."""
    raw = "\n".join([bucket, key, version or ""]).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def _part(value: str) -> str:
    # '#' separates key parts; percent-encode it (and anything non-printable) inside a value.
    return quote(value, safe=" -_.:/~@!$&'()*+,;=")


def upload_pk(uid: str) -> str:
    return f"UPLOAD#{uid}"


def claim_pk(claim_id: str) -> str:
    return f"CLAIM#{_part(claim_id)}"


def line_part(line: int | None) -> str:
    return f"{line:03d}" if line is not None else "000"


def finding_sk(claim_key: str, line: int | None, rule: str, n: int) -> str:
    return f"FINDING#{claim_key}#{line_part(line)}#{rule}#{n}"


def finding_gsi1sk(uid: str, claim_occurrence: int, line: int | None, rule: str, n: int) -> str:
    return f"UPLOAD#{uid}#{claim_occurrence}#FINDING#{line_part(line)}#{rule}#{n}"


def file_finding_sk(rule: str, n: int) -> str:
    return f"FILE#{rule}#{n}"


def price_sk(claim_key: str, line: int) -> str:
    return f"PRICE#{claim_key}#{line_part(line)}"


def price_gsi1sk(uid: str, claim_occurrence: int, line: int) -> str:
    return f"UPLOAD#{uid}#{claim_occurrence}#PRICE#{line_part(line)}"


def claim_key(claim_id: str, occurrence: int) -> str:
    """The claim part of a sort key; a claim id repeated within one upload gets ``~2``, ``~3``, ..."""
    base = _part(claim_id)
    return base if occurrence == 1 else f"{base}~{occurrence}"


def screen_pk(member_digest: str) -> str:
    return f"SCREEN#{member_digest}"


def screen_sk(service_date_iso: str, uid: str, claim_id: str) -> str:
    return f"DOS#{service_date_iso}#UPLOAD#{uid}#{_part(claim_id)}"
