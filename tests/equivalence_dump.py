"""Everything the scrubber says about some files, as JSON: run once per build to compare builds.

Run: ``PYTHONPATH=TREE python tests/equivalence_dump.py OUT.json FILE...``; TREE is ``layers/ctscrub`` (the
sources) or a compiled tree (``scripts/build_compiled.py``). For each file: every field of every claim the
reader yields, the reader's file findings or its rejection, and the whole scrub result (findings, prices,
summary counts). ``tests/test_compiled_build.py`` runs it on both builds and compares.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path

from ctscrub.formats import FileRejected, open_reader
from ctscrub.pipeline import CollectingSink, ScrubOptions, scrub
from ctscrub.refdata import load_reference_data
from ctscrub.screening_history import InMemoryScreeningHistory

AS_OF = date(2026, 11, 28)
ROOT = Path(__file__).resolve().parent.parent


def equivalence_inputs(out: Path, csv_lines: int = 3_000, x12_claims: int = 500) -> list[Path]:
    """The files two builds are compared on: a generated CSV and 837P (written into ``out``), the samples, the
    test corpus and the shared X12 samples when they are there."""
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
    from bench_pipeline import generate_csv
    from x12_fixtures import bench_interchange, iter_render

    out.mkdir(parents=True, exist_ok=True)
    generated_csv, generated_x12 = out / "generated.csv", out / "generated.x12"
    generate_csv(generated_csv, csv_lines)
    generated_x12.write_text("".join(iter_render([bench_interchange(x12_claims)])), encoding="utf-8")
    files = [generated_csv, generated_x12]
    for folder in (ROOT / "samples", ROOT / "tests" / "corpus", ROOT.parent / "shared" / "samples" / "x12"):
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*")
                            if p.is_file() and p.suffix != ".md" and p.name != "MANIFEST.json")
    return files


def plain(o: object) -> object:
    if is_dataclass(o) and not isinstance(o, type):
        return {f.name: plain(getattr(o, f.name)) for f in fields(o)}
    if isinstance(o, (list, tuple)):
        return [plain(x) for x in o]
    if isinstance(o, (set, frozenset)):
        return sorted(str(plain(x)) for x in o)
    if isinstance(o, dict):
        return {str(k): plain(v) for k, v in o.items()}
    if isinstance(o, (str, int, float, bool)) or o is None:
        return o
    return str(o)


def describe(path: Path) -> dict[str, object]:
    out: dict[str, object] = {"claims": []}
    try:
        with path.open("rb") as fh:
            reader = open_reader(fh)
            out["claims"] = [plain(c) for c in reader.claims()]
            out["file_findings"] = [plain(f) for f in reader.file_findings]
    except FileRejected as e:
        out["rejected"] = [e.rule, e.reason, e.where]
    sink = CollectingSink()
    with path.open("rb") as fh:
        summary = scrub(fh, ScrubOptions(as_of=AS_OF, refdata=load_reference_data(),
                                         screening_history=InMemoryScreeningHistory()),
                        [sink], upload_id="equivalence", source_name=path.name)
    counts = summary.to_dict()
    for varies in ("seconds", "processed_at"):
        counts.pop(varies)
    out["summary"] = counts
    out["results"] = [plain(r) for r in sink.results]
    return out


def main() -> None:
    out, files = Path(sys.argv[1]), [Path(f) for f in sys.argv[2:]]
    import ctscrub.pipeline

    result = {"pipeline_module": ctscrub.pipeline.__file__, "files": {str(f): describe(f) for f in files}}
    out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
