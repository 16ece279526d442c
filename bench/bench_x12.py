"""Benchmark of the X12 837P reader (issue 3): prints every number in one run, asserts nothing.

Run: ``.venv/bin/python bench/bench_x12.py [--sizes 10000 100000] [--skip-pyx12] [--repeat 3]``

On generated 837P files of N claims x 3 lines (bench/out/, regenerated when missing), each measured in a
fresh subprocess (best of ``--repeat`` for times; peak RSS from ``VmHWM``):

Modes run in rounds (floor, reader, validate, then again), so each round's ratios are taken minutes apart
at most, while the machine's speed drifts; both the best-of ratio and the rounds' ratios are printed.

- floor: read the file in 64 KB chunks, decode, split into segments and each segment into elements
  (the least any Python X12 reader must do; ``bench/floor.py``);
- reader: ``ctscrub.formats.open_reader`` producing every ``Claim``;
- validate: ``ctscrub.pipeline.scrub`` (reader + pricing + every rule, what ``ctscrub validate`` runs)
  with the bundled reference data (``ctscrub.refdata.load_reference_data``) and a counting sink;
- peer: pyx12 4.0.0, in its own virtualenv, walking the 2300 claim loops of the smallest file (run once:
  it takes about a minute), and of a 1-claim file for its one-time setup. The virtualenv is made from the
  interpreter running this benchmark (``bench/out/pyx12-venv-3.13`` for 3.13, created on first use with
  ``pip install pyx12==4.0.0``), so both sides run on the same Python; ``--pyx12-python`` names another.
  (pyx12 runs 12-16% faster on pyenv's 3.13.0 than on its 3.11.7, measured here on 2026-11-28.)

Reader and validate are timed per file: after the process's one-time imports and reference data load
(``bench/warm.py``, printed next to them), as a warm Lambda container runs them; pyx12's time per file is
its time on the file minus its time on the 1-claim file (loading its X12 maps).

Times are wall clock and CPU (``time.process_time``); on a shared machine CPU time is the steadier one.
Peak memory is the child's own ``VmHWM`` (``ru_maxrss`` would carry the parent's peak across fork).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from machine import describe_build, describe_python

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PY = sys.executable

# VmHWM is this process's own peak; ru_maxrss would include a parent's peak inherited across fork.
_PEAK = r"""
def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_CHILD = _PEAK + r"""
import json, sys, time
mode, path = sys.argv[1], sys.argv[2]
out = {}
sys.path.insert(0, sys.argv[3])
from floor import read_and_split
if mode != "floor":  # imports and reference data: once per process, not per file (bench/warm.py)
    from warm import warm_process
    refdata, out["setup_cpu"] = warm_process()
t0, c0 = time.perf_counter(), time.process_time()
if mode == "floor":
    out["segments"] = read_and_split(path)
elif mode == "reader":
    from ctscrub.formats import open_reader
    with open(path, "rb") as fh:
        reader = open_reader(fh)
        claims = lines = 0
        for c in reader.claims():
            claims += 1
            lines += len(c.lines)
    out.update(claims=claims, lines=lines, file_findings=len(reader.file_findings))
else:
    from datetime import date
    from ctscrub.pipeline import ScrubOptions, scrub
    from ctscrub.screening_history import InMemoryScreeningHistory

    class Count:
        def __init__(self): self.findings = 0
        def claim(self, r): self.findings += len(r.findings)
        def finish(self, s): pass

    sink = Count()
    t0, c0 = time.perf_counter(), time.process_time()
    with open(path, "rb") as fh:
        s = scrub(fh, ScrubOptions(as_of=date(2026, 11, 28), refdata=refdata,
                  screening_history=InMemoryScreeningHistory()), [sink], upload_id="bench", source_name="bench")
    out.update(claims=s.claims, lines=s.lines, findings=sink.findings, status=s.status)
out["wall"] = time.perf_counter() - t0
out["cpu"] = time.process_time() - c0
out["peak_rss_mb"] = peak_rss_mb()
print(json.dumps(out))
"""

_PYX12_CHILD = _PEAK + r"""
import json, sys, time
import pyx12.error_handler, pyx12.params, pyx12.x12context
t0, c0 = time.perf_counter(), time.process_time()
param = pyx12.params.params()
errh = pyx12.error_handler.errh_null()
claims = lines = 0
with open(sys.argv[1]) as fh:
    src = pyx12.x12context.X12ContextReader(param, errh, fh)
    for node in src.iter_segments("2300"):
        if node.id == "2300":
            claims += 1
            lines += sum(1 for _ in node.select("2400"))
print(json.dumps({"claims": claims, "lines": lines, "wall": time.perf_counter() - t0,
                  "cpu": time.process_time() - c0,
                  "peak_rss_mb": peak_rss_mb()}))
"""


_GEN_CHILD = r"""
import sys
sys.path.insert(0, sys.argv[3])
from x12_fixtures import bench_interchange, iter_render
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    for piece in iter_render([bench_interchange(int(sys.argv[1]))]):
        fh.write(piece)
"""


def bench_file(claims: int) -> Path:
    """The generated N-claim file (kept in bench/out/, which git ignores), built in a subprocess."""
    path = OUT / f"x12_{claims}_claims.x12"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        subprocess.run([PY, "-c", _GEN_CHILD, str(claims), str(tmp), str(ROOT / "tests")], check=True)
        tmp.replace(path)
    return path


def run_once(mode: str, path: Path) -> dict[str, float]:
    """One run of ``mode`` on ``path`` in a fresh interpreter."""
    r = subprocess.run([PY, "-c", _CHILD, mode, str(path), str(ROOT / "bench")], capture_output=True, text=True,
                       check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def summarize(runs: list[dict[str, float]]) -> dict[str, float]:
    """The best run (by CPU) with the largest peak RSS, the median CPU time and every run's CPU time."""
    best = dict(min(runs, key=lambda got: got["cpu"]))
    cpus = [got["cpu"] for got in runs]
    best["peak_rss_mb"] = max(got["peak_rss_mb"] for got in runs)
    best["median_cpu"] = sorted(cpus)[len(cpus) // 2]
    best["cpus"] = cpus  # type: ignore[assignment]
    return best


def run(mode: str, path: Path, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` times (by CPU) and the largest peak RSS, each run in a fresh interpreter."""
    return summarize([run_once(mode, path) for _ in range(repeat)])


def run_rounds(path: Path, modes: tuple[str, ...], repeat: int) -> tuple[dict[str, dict[str, float]],
                                                                         dict[str, list[float]]]:
    """``repeat`` rounds, each running every mode once, back to back: the machine's speed drifts over
    minutes, so a ratio of two modes is taken within a round. Returns each mode's summary and, per mode,
    its CPU time over the floor's in each round."""
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(repeat):
        for mode in modes:
            runs[mode].append(run_once(mode, path))
    ratios = {mode: [got["cpu"] / floor["cpu"] for floor, got in zip(runs["floor"], runs[mode], strict=True)]
              for mode in modes}
    return {mode: summarize(got) for mode, got in runs.items()}, ratios


def median_of(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def pyx12_python(explicit: str | None) -> Path | None:
    """The interpreter of pyx12's virtualenv: ``explicit``, or one made from this interpreter (same version)."""
    if explicit:
        return Path(explicit)
    venv = OUT / f"pyx12-venv-{sys.version_info.major}.{sys.version_info.minor}"
    py = venv / "bin" / "python"
    if not py.exists():
        print(f"(creating {venv.relative_to(ROOT)} with pyx12 4.0.0 for the peer run)")
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "pyx12==4.0.0"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"  pip could not install pyx12: {r.stderr.strip().splitlines()[-1] if r.stderr else r.returncode}")
            return None
    return py


def run_pyx12(python: Path, path: Path) -> dict[str, float] | None:
    r = subprocess.run([str(python), "-c", _PYX12_CHILD, str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  pyx12 failed: {r.stderr.strip().splitlines()[-1] if r.stderr else r.returncode}")
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-pyx12", action="store_true")
    ap.add_argument("--pyx12-python", help="the python of a virtualenv with pyx12 4.0.0 (default: made from this one)")
    args = ap.parse_args()
    print(describe_python())
    print(describe_build())
    results: dict[int, dict[str, dict[str, float]]] = {}
    for n in args.sizes:
        path = bench_file(n)
        mb = path.stat().st_size / 1e6
        res, ratios = run_rounds(path, ("floor", "reader", "validate"), args.repeat)
        results[n] = res
        f, r, v = res["floor"], res["reader"], res["validate"]
        print(f"\n{n:,} claims x 3 lines ({mb:.1f} MB, {int(f['segments']):,} segments)")
        print(f"  (reader and validate are timed after the process's one-time imports and reference data load, "
              f"{v['setup_cpu']:.2f} s cpu: see bench/warm.py)")
        for mode, m in res.items():
            extra = f", {int(m['claims']):,} claims, {int(m['lines']):,} lines" if "claims" in m else ""
            extra += f", {int(m['findings']):,} findings" if "findings" in m else ""
            print(f"  {mode:9s} wall {m['wall']:6.2f} s  cpu {m['cpu']:6.2f} s  peak RSS {m['peak_rss_mb']:5.0f} MB"
                  f"{extra}")
        print(f"  reader   = {r['cpu'] / f['cpu']:.1f}x the floor (cpu), {r['wall'] / f['wall']:.1f}x (wall); "
              f"median of the rounds' ratios {median_of(ratios['reader']):.1f}x")
        print(f"  validate = {v['cpu'] / f['cpu']:.1f}x the floor (cpu), {v['wall'] / f['wall']:.1f}x (wall); "
              f"target <= 3x; {v['lines'] / v['cpu']:,.0f} lines per cpu second (median cpu of {args.repeat} runs: "
              f"{v['median_cpu']:.2f} s)")
        print(f"  validate over the floor in each round (the two run back to back): "
              f"{', '.join(f'{x:.2f}' for x in ratios['validate'])}; median {median_of(ratios['validate']):.2f}x")
    if len(results) >= 2:
        small, big = min(results), max(results)
        ms, mb_ = results[small]["validate"]["peak_rss_mb"], results[big]["validate"]["peak_rss_mb"]
        print(f"\npeak memory, validate: {mb_:.0f} MB on {big:,} claims vs {ms:.0f} MB on {small:,} claims = "
              f"{mb_ / ms:.2f}x (target: < 150 MB and <= 1.3x)")
    peer_python = None if args.skip_pyx12 else pyx12_python(args.pyx12_python)
    if peer_python is not None:
        small = min(results)
        p = run_pyx12(peer_python, bench_file(small))
        one = run_pyx12(peer_python, bench_file(1))  # pyx12's own one-time setup (its X12 maps), as ours is left out
        if p is not None and one is not None:
            v = results[small]["validate"]
            cpu, wall = p["cpu"] - one["cpu"], p["wall"] - one["wall"]
            print(f"\npeer: pyx12 4.0.0 walking the 2300 loops of the {small:,}-claim file: wall {p['wall']:.1f} s, "
                  f"cpu {p['cpu']:.1f} s, {int(p['claims']):,} claims, {int(p['lines']):,} lines, "
                  f"peak RSS {p['peak_rss_mb']:.0f} MB; on a 1-claim file (its one-time setup) cpu "
                  f"{one['cpu']:.2f} s, so {cpu:.1f} s per file")
            peer = subprocess.run([str(peer_python), str(Path(__file__).with_name("machine.py"))], capture_output=True,
                                  text=True).stdout.strip()
            print(f"  pyx12 ran on {peer.split(' on ')[0]}")
            # The machine's speed drifts over minutes: time ours again right after pyx12's long run and compare
            # pyx12 (one run) with the median of all our runs, before and after it.
            after = run("validate", bench_file(small), args.repeat)
            median = sorted(v["cpus"] + after["cpus"])[len(v["cpus"] + after["cpus"]) // 2]
            print(f"  ctscrub validate is {cpu / v['cpu']:.0f}x faster (cpu, best run), {wall / v['wall']:.0f}x "
                  f"(wall); {cpu / median:.0f}x with the median of its {2 * args.repeat} runs before and right after "
                  f"pyx12 ({median:.2f} s); target >= 100x")


if __name__ == "__main__":
    main()
