"""Helpers of scripts/build_layer_arm64.sh, run by the host Python: the compiled modules, the test inputs, the checks.

  setup                   the setup.py scripts/build_compiled.py uses, for its hot modules (HOT_MODULES)
  inputs DIR N_CSV N_X12  write a generated CSV and 837P into DIR; print every input file, one a line
  compare SRC.json ARM.json   the equivalence dumps of the sources and the arm64 layer must agree
  cli OUT.json            the ``ctscrub.cli validate --format json`` output must be a processed upload
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "bench"), str(ROOT / "tests")]


def setup_py() -> str:
    from build_compiled import _SETUP, HOT_MODULES

    return _SETUP.format(args=["--ignore-missing-imports", *(f"ctscrub/{m}" for m in HOT_MODULES)])


def inputs(out: Path, csv_lines: int, x12_claims: int) -> list[Path]:
    from equivalence_dump import equivalence_inputs  # the files tests/test_compiled_build.py compares

    return equivalence_inputs(out, csv_lines, x12_claims)


def compare(sources_json: Path, arm64_json: Path) -> str | None:
    sources, arm64 = json.loads(sources_json.read_text()), json.loads(arm64_json.read_text())
    if not str(arm64["pipeline_module"]).endswith(".cpython-313-aarch64-linux-gnu.so"):
        return f"the arm64 run did not load the compiled pipeline: {arm64['pipeline_module']}"
    if not str(sources["pipeline_module"]).endswith(".py"):
        return f"the host run did not use the sources: {sources['pipeline_module']}"
    if sources["files"].keys() != arm64["files"].keys():
        return "the dumps name different files"
    differ = [f for f in sources["files"] if sources["files"][f] != arm64["files"][f]]
    if differ:
        return f"{len(differ)} of {len(sources['files'])} files differ: {differ[:5]}"
    print(f"equal: {len(sources['files'])} files (arm64 compiled layer == host sources)")
    return None


def cli(output: Path) -> str | None:
    try:
        doc = json.loads(output.read_text())
    except ValueError as e:
        return f"the CLI output is not JSON: {e}"
    if not isinstance(doc, dict) or doc.get("status") != "processed":
        return f"the CLI output's status is not 'processed': {doc.get('status') if isinstance(doc, dict) else doc!r}"
    print(f"cli: status processed, {doc['summary']['claims']} claims, {doc['summary']['findings']} findings")
    return None


def main(argv: list[str]) -> int:
    match argv:
        case ["setup"]:
            print(setup_py(), end="")
        case ["inputs", out, csv_lines, x12_claims]:
            print("\n".join(str(p) for p in inputs(Path(out), int(csv_lines), int(x12_claims))))
        case ["compare", sources_json, arm64_json]:
            problem = compare(Path(sources_json), Path(arm64_json))
            if problem:
                print(f"FAIL: {problem}", file=sys.stderr)
                return 1
        case ["cli", output]:
            problem = cli(Path(output))
            if problem:
                print(f"FAIL: {problem}", file=sys.stderr)
                return 1
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
