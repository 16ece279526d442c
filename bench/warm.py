"""One-time process setup before a benchmark times a file: what a warm Lambda container already holds.

The benchmarks time the work per file. Importing the scrubber and parsing the bundled reference data
happen once per process (at a Lambda cold start, or when the CLI starts), not once per file; they are
measured on their own (``bench_pipeline.py`` prints the cold import and the reference data load) and
printed by the benchmarks next to the per-file times. Nothing here reads a claim file, so no per-upload
memo is warm when the timing starts.
"""

from __future__ import annotations

import time
from typing import Any


def warm_process() -> tuple[Any, float]:
    """Import the pipeline, every rule family and reader, load all reference data and policy tables and
    freeze them, as the Lambda handler's init does; return the reference data and the CPU seconds it took."""
    start = time.process_time()
    import ctscrub.formats.csv_v1
    import ctscrub.formats.x12_837p
    import ctscrub.pipeline
    import ctscrub.rules.screen  # noqa: F401  (imported by the first chest CT claim otherwise)
    from ctscrub.refdata import load_reference_data, settle_process
    from ctscrub.rules import all_rules

    all_rules()
    refdata = load_reference_data()
    settle_process(refdata)  # as the handler's Runtime does: parse every table, then freeze the process's objects
    return refdata, time.process_time() - start
