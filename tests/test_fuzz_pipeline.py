"""Hypothesis fuzzing of the whole offline pipeline: random bytes and mutations of small valid CSV, JSON
and X12 uploads never raise out of ``scrub``; every run ends with a summary that is ``processed`` or
``rejected``, and a rejection carries a reason and a suggestion.

The valid seeds come from scripts/gen_hostile_corpus.py (the same builders as the hostile corpus). Each
property runs ~150 examples with a small upload limit, so the whole file takes well under 40 s.
Set ``CTSCRUB_FUZZ_EXAMPLES=5000`` for a longer, randomly seeded search.
"""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest
from ctscrub.pipeline import CollectingSink, ScrubOptions, UploadSummary, scrub
from fakes import FakeReferenceData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 28)
MAX_BYTES = 256 * 1024
# CTSCRUB_FUZZ_EXAMPLES=5000 runs a longer, randomly seeded search; the default is fixed and quick.
_DEEP = os.environ.get("CTSCRUB_FUZZ_EXAMPLES")
FUZZ = settings(max_examples=int(_DEEP or 150), deadline=None, derandomize=_DEEP is None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NEEDED = ("ctscrub.formats.csv_v1", "ctscrub.formats.json_v1", "ctscrub.formats.x12_837p", "ctscrub.payment")
MISSING = [m for m in NEEDED if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.xfail(bool(MISSING), reason=f"reader not yet present: {MISSING}", run=False)


def _generator() -> ModuleType:
    name = "gen_hostile_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "gen_hostile_corpus.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


GEN = _generator()
SEEDS = {"csv": GEN.csv_good(), "json": GEN.json_good(), "x12": GEN.x12_good()}
CANARIES = [c.lower() for c in GEN.CANARIES]


def run(data: bytes) -> UploadSummary:
    """Scrub ``data``; any exception propagates and fails the property."""
    sink = CollectingSink()
    options = ScrubOptions(as_of=AS_OF, refdata=FakeReferenceData(), max_bytes=MAX_BYTES)  # type: ignore[arg-type]
    summary = scrub(io.BytesIO(data), options, [sink], upload_id="fuzz", source_name="fuzz.bin")
    assert summary.status in ("processed", "rejected")
    assert sink.summary is summary  # the sinks always hear how the upload ended
    if summary.status == "rejected":
        assert summary.rejection is not None
        assert summary.rejection.rule in ("FILE_MALFORMED", "FILE_UNSUPPORTED_FORMAT")
        assert summary.rejection.message.strip() and summary.rejection.suggestion.strip()
    else:
        assert summary.claims == len(sink.results)
    said = "\n".join(f.message + f.suggestion for f in sink.all_findings()).lower()
    assert not [c for c in CANARIES if c in said], "patient canary in a finding"
    return summary


# -- mutations ---------------------------------------------------------------------------------------------

_mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 1 << 16), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 16), st.integers(1, 64)),
    st.tuples(st.just("truncate"), st.integers(0, 1 << 16), st.just(0)),
    st.tuples(st.just("duplicate"), st.integers(0, 1 << 16), st.integers(1, 200)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 16),
              st.sampled_from([b"\x00", b"\xff", b"\r", b"\n", b'"', b",", b"~", b"*", b":", b"^", b"{", b"]",
                               b"\xef\xbb\xbf", b"1e999999", b"NaN", b"ISA", b"SE*1*0001~", b"=cmd|"])),
)


def mutate(data: bytes, ops: list[tuple[str, int, object]]) -> bytes:
    """Apply byte-level mutations; positions wrap around the current length."""
    buf = bytearray(data)
    for op, pos, arg in ops:
        n = len(buf)
        i = pos % (n + 1)
        if op == "flip" and n:
            buf[i % n] ^= int(arg) or 1  # type: ignore[call-overload]
        elif op == "insert":
            buf[i:i] = arg  # type: ignore[assignment]
        elif op == "delete":
            del buf[i:i + int(arg)]  # type: ignore[call-overload]
        elif op == "truncate":
            del buf[i:]
        elif op == "duplicate":
            buf[i:i] = buf[i:i + int(arg)]  # type: ignore[call-overload]
    return bytes(buf)


def test_mutate_changes_the_seed_as_told() -> None:
    """The mutation operators do what their names say (so the properties below explore what they claim)."""
    assert mutate(b"abcdef", [("truncate", 3, 0)]) == b"abc"
    assert mutate(b"abcdef", [("delete", 1, 2)]) == b"adef"
    assert mutate(b"abc", [("insert", 1, b"XY")]) == b"aXYbc"
    assert mutate(b"abc", [("duplicate", 0, 2)]) == b"ababc"
    assert mutate(b"abc", [("flip", 0, 1)]) == b"`bc"


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    """Arbitrary bytes end as processed or rejected, never as an exception."""
    run(data)


@FUZZ
@given(st.sampled_from([b"ISA*", b"ISA", b"{", b"[", b"claim_id,procedure_code\n", b"\xef\xbb\xbfclaim_id,",
                        b'{"format": "ctscrub-claims", "version": 1, "claims": [']),
       st.binary(max_size=2048))
def test_format_prefix_then_random_bytes_never_raise(prefix: bytes, tail: bytes) -> None:
    """Bytes that pass format detection (ISA, JSON, CSV header) and then turn to noise reach each reader."""
    run(prefix + tail)


@FUZZ
@given(st.lists(_mutation, min_size=1, max_size=6))
def test_mutated_csv_never_raises(ops: list[tuple[str, int, object]]) -> None:
    """Mutations of a valid two-claim CSV v1 file end as processed or rejected."""
    run(mutate(SEEDS["csv"], ops))


@FUZZ
@given(st.lists(_mutation, min_size=1, max_size=6))
def test_mutated_json_never_raises(ops: list[tuple[str, int, object]]) -> None:
    """Mutations of a valid two-claim JSON v1 document end as processed or rejected."""
    run(mutate(SEEDS["json"], ops))


@FUZZ
@given(st.lists(_mutation, min_size=1, max_size=6))
def test_mutated_x12_never_raises(ops: list[tuple[str, int, object]]) -> None:
    """Mutations of a valid two-claim 837P end as processed or rejected."""
    run(mutate(SEEDS["x12"], ops))


@FUZZ
@given(st.sampled_from(sorted(SEEDS)), st.integers(0, 1 << 16))
def test_truncated_uploads_never_raise(kind: str, cut: int) -> None:
    """Every truncation of a valid upload (a partial S3 object) ends as processed or rejected."""
    data = SEEDS[kind]
    run(data[: cut % (len(data) + 1)])


def test_seeds_are_processed() -> None:
    """The unmutated seeds are valid uploads, so the mutations start from files that get deep into the readers."""
    for kind, data in SEEDS.items():
        summary = run(data)
        assert summary.status == "processed" and summary.claims == 2, kind
