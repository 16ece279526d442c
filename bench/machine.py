"""One line naming what a benchmark ran on: the timings depend on it as much as on the code."""

from __future__ import annotations

import os
import sys
import sysconfig


def describe_python() -> str:
    """Python version, CPU architecture, cores, load, and whether the interpreter was built with PGO and LTO.

    An interpreter built without ``--enable-optimizations --with-lto`` (pyenv's default) runs this
    pure-Python workload markedly slower than the builds python.org, Linux distributions and the official
    Docker images ship, which use both: say which one was measured.
    """
    flags = sysconfig.get_config_var("CONFIG_ARGS") or ""
    pgo = "--enable-optimizations" in flags
    lto = "--with-lto" in flags
    build = "PGO+LTO" if pgo and lto else "PGO" if pgo else "LTO" if lto else "no PGO/LTO"
    return (f"python {sys.version.split()[0]} ({build} build, {sys.executable}) on {os.uname().machine}, "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


def describe_build() -> str:
    """Which ctscrub the benchmark imports: the Python sources, or a tree compiled by scripts/build_compiled.py
    (put first on the path with ``PYTHONPATH=build/compiled``; the benchmarks' own processes inherit it)."""
    import ctscrub.pipeline

    where = os.path.dirname(os.path.dirname(ctscrub.pipeline.__file__))
    if ctscrub.pipeline.__file__.endswith(".py"):
        return f"ctscrub: the Python sources ({where})"
    return f"ctscrub: the compiled build, hot modules compiled with mypyc ({where})"


if __name__ == "__main__":  # run by another interpreter (the pyx12 peer's) to describe itself
    print(describe_python())
