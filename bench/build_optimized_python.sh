#!/usr/bin/env bash
# Build CPython 3.13 with PGO and LTO (as python.org, Linux distributions and the official Docker images
# build it) into PREFIX, and a virtualenv with this project at PREFIX-venv, to run the benchmarks on an
# optimized interpreter. pyenv builds without these optimizations by default, which makes this pure-Python
# workload markedly slower; bench/machine.py prints which kind of build a benchmark ran on.
#
# Usage: bash bench/build_optimized_python.sh [PREFIX]   (default /tmp/py313opt; ~30-40 min on 2 cores)
# Source: the CPython 3.13.5 release tarball as Debian's archive (a package registry) serves it.
set -euo pipefail
PREFIX=${1:-/tmp/py313opt}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
cd "$WORK"
curl -fsSO http://deb.debian.org/debian/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz
tar xf python3.13_3.13.5.orig.tar.xz
cd Python-3.13.5
./configure --prefix="$PREFIX" --enable-optimizations --with-lto >configure.log
# The profiling run executes part of CPython's own test suite; one environment-dependent failure there
# (seen here: test_generators) stops make although the profile data is complete: go on with it.
if ! make -j"$(nproc)" >make.log 2>&1; then
  make clean-retain-profile >>make.log 2>&1
  touch profile-run-stamp
  make -j"$(nproc)" >>make.log 2>&1
fi
make install >install.log 2>&1
"$PREFIX/bin/python3.13" -m venv "$PREFIX-venv"
"$PREFIX-venv/bin/pip" install -q -e "$ROOT[dev]"
"$PREFIX-venv/bin/python" "$ROOT/bench/machine.py"
