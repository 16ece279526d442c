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
