"""Shared test setup: fake AWS credentials and Powertools settings before anything imports boto3."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

# Never reach a real AWS endpoint from tests: fake credentials, a fixed region, moto everywhere.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "ctscrub",
        "POWERTOOLS_METRICS_NAMESPACE": "ctscrub-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
        "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

# The layer package is installed editable by `pip install -e .`; keep it importable without that too.
# CTSCRUB_BUILD names a compiled tree (scripts/build_compiled.py) to test instead of the sources; the
# programs tests start get it through PYTHONPATH.
_BUILD = os.environ.get("CTSCRUB_BUILD")
_TREE = Path(_BUILD).resolve() if _BUILD else ROOT / "layers" / "ctscrub"
sys.path.insert(0, str(_TREE))
if _BUILD:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TREE), os.environ.get("PYTHONPATH")]))
    import ctscrub.pipeline

    assert not ctscrub.pipeline.__file__.endswith(".py"), f"CTSCRUB_BUILD={_BUILD} is not a compiled tree"


@pytest.fixture
def subscribed_stack() -> Iterator[tuple[Any, Any]]:
    """The embedded stack with the handler (as of 2026-11-01, metrics off) and one queue subscribed to all."""
    from ctscrub.aws import sandbox

    env = {"SCRUB_AS_OF": "2026-11-01", "POWERTOOLS_METRICS_DISABLED": "true"}
    with sandbox.running_stack(env=env) as (st, app):
        st.subscribe_queue("all")
        yield st, app
