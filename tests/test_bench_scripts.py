"""The benchmark scripts still run: they call pipeline internals, so a change of signature can break them
silently (bench/stage_times.py did, for a session). Tiny inputs: this checks they run and print every
figure they promise, not how fast anything is (speed targets live in the scripts' own output)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
from bench_pipeline import generate_csv  # noqa: E402


def _run(*args: str, timeout: int = 120) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.environ.get("PYTHONPATH", ""), str(ROOT / "layers" / "ctscrub")]).strip(os.pathsep))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "small.csv"
    generate_csv(path, 300)
    return path


def test_stage_times_prints_every_stage(small_csv: Path) -> None:
    out = _run(str(BENCH / "stage_times.py"), str(small_csv))
    for stage in ("reader", "facts and patient key", "trigger screen", "pricing", "rules", "same-patient index"):
        assert re.search(rf"^  {re.escape(stage)} +\d+\.\d{{3}}$", out, re.M), (stage, out)


def test_profile_pipeline_prints_time_and_rule_counts(small_csv: Path) -> None:
    out = _run(str(BENCH / "profile_pipeline.py"), str(small_csv), "--repeat", "1")
    assert re.search(r"lines/s", out), out
    assert "UNITS_EXCEED_MUE" in out or "FACILITY_REQUIRES_26" in out, out  # the mix fires rules


def test_bench_pipeline_prints_every_target() -> None:
    out = _run(str(BENCH / "bench_pipeline.py"), "--lines", "300", "--repeat", "1")
    assert re.search(r"cold import: boto3 alone \d+ ms; handler \d+ ms; ratio [\d.]+x", out), out
    assert re.search(r"validate 300 lines .* [\d,]+ lines/s \(target >= 50,000\).* peak RSS \d+ MB", out), out
    assert re.search(r"machine yardstick: csv.reader alone over that file \d+\.\d{3} s .* validation = [\d.]+x that",
                     out), out
    assert re.search(r"DynamoDB: [\d,]+ items \([\d,]+ findings, prices and screens \+ [\d,]+ alert checkpoints\) "
                     r"in \d+ BatchWriteItem calls = [\d.]+ items/call", out), out
    assert re.search(r"\d+ write calls in all, .* = [\d.]+ items per write call", out), out
    assert re.search(r"SNS: \d+ messages in \d+ publish calls = [\d.]+ per call", out), out
    # the calls are counted on that same file, run through the real handler, and the items landed
    landed = re.search(r"AWS calls for that file \(real handler on moto, upload COMPLETED, "
                       r"\d+ s on moto; ([\d,]+) items in the upload's partition", out)
    assert landed and int(landed.group(1).replace(",", "")) > 1, out


def test_bench_x12_prints_floor_reader_and_validate() -> None:
    out = _run(str(BENCH / "bench_x12.py"), "--sizes", "20", "--skip-pyx12", "--repeat", "1")
    for mode in ("floor", "reader", "validate"):
        assert re.search(rf"^  {mode} +wall +[\d.]+ s +cpu +[\d.]+ s +peak RSS +\d+ MB", out, re.M), (mode, out)
    assert re.search(r"validate = [\d.]+x the floor \(cpu\)", out), out
    assert "20 claims, 60 lines" in out, out
