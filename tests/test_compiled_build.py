"""The compiled build (scripts/build_compiled.py) says exactly what the sources say, on every kind of file.

mypyc compiles the hot modules from the same sources, but compiled code checks annotations at run time
and treats some Python constructs differently, so the two builds are compared on the repository's
samples, the hostile corpus, the shared X12 samples and generated files of both claim formats: every claim
field, finding, price and summary count must be equal. Skipped when no compiled tree has been built
(``.ci/run`` builds one first); fails when the tree is older than the sources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from equivalence_dump import equivalence_inputs

SOURCES = ROOT / "layers" / "ctscrub"
COMPILED = Path(os.environ.get("CTSCRUB_BUILD") or ROOT / "build" / "compiled")
DUMP = Path(__file__).with_name("equivalence_dump.py")

pytestmark = pytest.mark.skipif(not (COMPILED / "ctscrub").is_dir(),
                                reason="no compiled build: run scripts/build_compiled.py")


def test_the_compiled_tree_is_built_from_the_current_sources() -> None:
    stale = [str(src.relative_to(SOURCES)) for src in SOURCES.rglob("*.py")
             if "__pycache__" not in src.parts
             and (COMPILED / src.relative_to(SOURCES)).read_bytes() != src.read_bytes()]
    assert not stale, f"the compiled build is older than these sources, run scripts/build_compiled.py: {stale}"


def test_the_compiled_build_gives_the_same_results_as_the_sources(tmp_path: Path) -> None:
    files = [str(f) for f in equivalence_inputs(tmp_path / "inputs")]
    runs = {}
    for name, tree in (("sources", SOURCES), ("compiled", COMPILED)):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        out = tmp_path / f"{name}.json"
        runs[name] = (out, subprocess.Popen([sys.executable, str(DUMP), str(out), *files], env=env))
    for name, (_out, proc) in runs.items():
        assert proc.wait(timeout=600) == 0, f"the {name} run failed"
    sources = json.loads(runs["sources"][0].read_text())
    compiled = json.loads(runs["compiled"][0].read_text())
    assert sources["pipeline_module"].endswith(".py")
    assert compiled["pipeline_module"].endswith(".so"), "the compiled tree did not load its compiled modules"
    assert len(sources["files"]) == len(files) > 40
    for f in files:
        assert compiled["files"][f] == sources["files"][f], f"the builds differ on {f}"
