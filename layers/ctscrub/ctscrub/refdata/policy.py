"""Effective-dated policy tables (coverage ages, code lists, modifier windows) bundled as JSON.

Each ``refdata/data/policy/<name>.json`` file is ``{"dataset": ..., "source": ..., "versions": [
{"effective_from": "YYYY-MM-DD", "effective_to": "YYYY-MM-DD" | null, ...values}]}``; ``effective_to``
is exclusive. Rules ask for the version in force on the date of service instead of hard-coding values.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final

POLICY_NAMES: Final = ("deleted_codes", "dx_support", "ldct", "modifiers", "mue_default", "place_of_service",
                "ptp_default", "timely_filing")
"""Every bundled policy table (``data/policy/<name>.json``); ``tests/test_refdata_*`` checks the list is complete."""


@cache
def load_policy(name: str) -> dict[str, Any]:
    text = resources.files("ctscrub.refdata").joinpath("data", "policy", f"{name}.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    for v in doc["versions"]:
        v["_from"] = date.fromisoformat(v["effective_from"])
        v["_to"] = date.fromisoformat(v["effective_to"]) if v.get("effective_to") else date.max
    return doc


@lru_cache(maxsize=8192)  # rules ask once per line; files repeat a few dates many times
def policy_for(name: str, dos: date | None) -> dict[str, Any] | None:
    """The version of policy table ``name`` in force on ``dos`` (the latest one when ``dos`` is None)."""
    doc = load_policy(name)
    versions = doc["versions"]
    if dos is None:
        return versions[-1]
    for v in versions:
        if v["_from"] <= dos < v["_to"]:
            return v
    return None


def policy_set(version: dict[str, Any], key: str) -> frozenset[str]:
    """``version[key]`` (a list of codes) as a frozenset, built once per version (versions are cached).

    Rules test membership for every line; a list of 50-90 codes would be scanned each time.
    """
    sets: dict[str, frozenset[str]] | None = version.get("_sets")
    if sets is None:
        sets = version["_sets"] = {}
    hit = sets.get(key)
    if hit is None:
        hit = sets[key] = frozenset(version[key])
    return hit
