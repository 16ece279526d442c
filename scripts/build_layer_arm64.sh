#!/usr/bin/env bash
# The ctscrub Lambda layer for python3.13 on arm64 with the hot modules compiled by mypyc, cross-built on an
# x86_64 Debian host (no Docker) and tested under qemu user-mode emulation with Debian trixie's arm64 CPython.
#
#   bash scripts/build_layer_arm64.sh      -> build/ctscrub-layer-arm64.zip (top folder python/)
#
# Publish it with `aws lambda publish-layer-version --compatible-runtimes python3.13
# --compatible-architectures arm64 --zip-file fileb://build/ctscrub-layer-arm64.zip ...` and pass the
# version ARN to the stack as the CtscrubLayerArn parameter (template.yaml).
#
# Steps: 1 host tools (apt-get, only when missing: needs root then); 2 arm64 CPython 3.13 from Debian trixie
# .debs (private apt config, the system's sources are untouched) into build/arm64/root; 3 the layer in
# build/layer-arm64/python: pydantic's aarch64 wheels, the package sources and the hot modules
# (scripts/build_compiled.py HOT_MODULES) compiled for aarch64; 4 every .so is ELF aarch64 and needs at most
# GLIBC_2.34 (Amazon Linux 2023); 5 under qemu: the compiled pipeline loads, the equivalence dump
# (tests/equivalence_dump.py) equals the host's dump of the sources, the CLI works; 6 the zip.
# Idempotent: downloads (debs, wheels) and the compiled modules are cached under build/arm64 and reused while
# their inputs (requirements.txt, the package sources, the host's mypy) are unchanged.
# Env: HOST_PY (python 3.13 with mypy + setuptools, default .venv/bin/python), MAX_GLIBC (2.34),
#      JOBS (parallel C compilations, default nproc), CSV_LINES (2000), X12_CLAIMS (300).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
HOST_PY=${HOST_PY:-$REPO/.venv/bin/python}
MAX_GLIBC=${MAX_GLIBC:-2.34}
JOBS=${JOBS:-$(nproc)}
CSV_LINES=${CSV_LINES:-2000}
X12_CLAIMS=${X12_CLAIMS:-300}
WORK=$REPO/build/arm64
ROOT=$WORK/root          # extracted arm64 python3.13 (trixie)
APTD=$WORK/apt           # private apt config and state
CROSS=$WORK/cross        # arm64 sysconfigdata + include shim for the cross build
SCRATCH=$WORK/mypyc      # mypyc build dir (cached)
TESTD=$WORK/test
LAYER=$REPO/build/layer-arm64
PYDIR=$LAYER/python
ZIP=$REPO/build/ctscrub-layer-arm64.zip
SO_SUFFIX=.cpython-313-aarch64-linux-gnu.so
HELPER=$REPO/scripts/arm64_layer_check.py
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
mkdir -p "$WORK"

T0=$(date +%s.%N); TIMINGS=""
step() { STEP_NAME=$1; STEP_T=$(date +%s.%N); echo "=== $1"; }
done_step() {
  TIMINGS+=$(printf '%-48s %7.1f s' "$STEP_NAME" "$(awk -v a="$(date +%s.%N)" -v b="$STEP_T" 'BEGIN{print a-b}')")$'\n'
}
fail() { echo "FAIL: $*" >&2; exit 1; }
# The arm64 interpreter under emulation, with the layer first on its path and nothing from the host's env.
PYA() {
  env -u PYTHONHOME -u PYTHONSTARTUP PYTHONPATH="$PYDIR" PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 \
    qemu-aarch64-static -L "$ROOT" "$ROOT/usr/bin/python3.13" "$@"
}

# ------------------------------------------------------------------------------------------------ 1
step "1 host tools"
[ -x "$HOST_PY" ] || fail "no host python at $HOST_PY (set HOST_PY)"
"$HOST_PY" -c 'import sys, mypyc, setuptools; assert sys.version_info[:2] == (3, 13)' \
  || fail "$HOST_PY must be python 3.13 with mypy and setuptools"
need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
[ -e /usr/aarch64-linux-gnu/include/stdio.h ] || need+=(libc6-dev-arm64-cross)
command -v aarch64-linux-gnu-objdump >/dev/null || need+=(binutils-aarch64-linux-gnu)
command -v zip >/dev/null || need+=(zip)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if ((${#need[@]})); then
  [ "$(id -u)" -eq 0 ] || fail "missing host packages (${need[*]}): run as root, or apt-get install them first"
  apt-get update -qq
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
done_step

# ------------------------------------------------------------------------------------------------ 2
step "2 arm64 CPython 3.13 (trixie debs)"
if [ ! -e "$WORK/.stamp_root" ]; then
  mkdir -p "$APTD"/etc/{sources.list.d,preferences.d} "$APTD"/state/lists/partial \
           "$APTD"/cache/archives/partial "$WORK/debs"
  echo "deb [arch=arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    > "$APTD/etc/sources.list"
  cat > "$APTD/apt.conf" <<EOF
Dir::Etc::SourceList "$APTD/etc/sources.list";
Dir::Etc::SourceParts "$APTD/etc/sources.list.d";
Dir::Etc::Preferences "$APTD/etc/preferences";
Dir::Etc::PreferencesParts "$APTD/etc/preferences.d";
Dir::State "$APTD/state";
Dir::State::status "$APTD/state/status";
Dir::Cache "$APTD/cache";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
EOF
  touch "$APTD/state/status"   # empty dpkg status: apt resolves the whole dependency closure
  if [ ! -e "$WORK/.stamp_debs" ]; then
    APT_CONFIG=$APTD/apt.conf apt-get update -qq
    pkgs=$(APT_CONFIG=$APTD/apt.conf apt-get -s install --no-install-recommends \
             python3.13-minimal libpython3.13-stdlib libpython3.13-dev | awk '/^Inst/{print $2}')
    [ -n "$pkgs" ] || fail "apt resolved no arm64 packages"
    # shellcheck disable=SC2086  # one word per package
    (cd "$WORK/debs" && APT_CONFIG=$APTD/apt.conf apt-get download -q $pkgs 2>&1 | { grep -v unsandboxed || true; })
    touch "$WORK/.stamp_debs"
  fi
  echo "debs: $(ls "$WORK"/debs/*.deb | wc -l) files, $(du -cb "$WORK"/debs/*.deb | tail -1 | cut -f1) bytes"
  rm -rf "$ROOT"; mkdir -p "$ROOT"
  for f in "$WORK"/debs/*.deb; do dpkg-deb -x "$f" "$ROOT"; done
  for d in bin sbin lib; do [ -e "$ROOT/$d" ] || ln -s "usr/$d" "$ROOT/$d"; done   # /lib/ld-linux-aarch64.so.1
  # .pyc are arch-independent; without them every emulated start compiles the stdlib again (7 s vs 1.3 s).
  env -u PYTHONDONTWRITEBYTECODE "$HOST_PY" -m compileall -q -j1 -x 'lib2to3|test' "$ROOT/usr/lib/python3.13" >/dev/null || true
  touch "$WORK/.stamp_root"
fi
PYA -c "import sys, platform; print('arm64 python', sys.version.split()[0], platform.machine())"
done_step

# ------------------------------------------------------------------------------------------------ 3a
step "3a layer: pydantic aarch64 wheels"
REQ=layers/ctscrub/requirements.txt
req_key=$(sha256sum "$REQ" | cut -d' ' -f1)
PIP_PLATFORM=(--platform manylinux2014_aarch64 --implementation cp --python-version 3.13 --only-binary=:all:)
if [ "$(cat "$WORK/.stamp_wheels" 2>/dev/null)" != "$req_key" ]; then
  rm -rf "$WORK/wheels"
  "$HOST_PY" -m pip download -q "${PIP_PLATFORM[@]}" -d "$WORK/wheels" -r "$REQ"
  echo "$req_key" > "$WORK/.stamp_wheels"
fi
rm -rf "$LAYER"; mkdir -p "$PYDIR"
"$HOST_PY" -m pip install -q "${PIP_PLATFORM[@]}" --no-index --find-links "$WORK/wheels" --target "$PYDIR" -r "$REQ"
ls "$WORK/wheels"
done_step

# ------------------------------------------------------------------------------------------------ 3b
step "3b layer: mypyc cross-compile for aarch64"
cp -r layers/ctscrub/ctscrub "$PYDIR/ctscrub"
find "$PYDIR/ctscrub" \( -name __pycache__ -o -name '*.so' \) -prune -exec rm -rf {} +
SETUP_PY=$("$HOST_PY" "$HELPER" setup)
src_key=$( { find layers/ctscrub/ctscrub -name '*.py' -not -path '*/__pycache__/*' -print0 | sort -z \
               | xargs -0 sha256sum; echo "$SETUP_PY"; "$HOST_PY" -m mypy --version; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$SCRATCH/.key" 2>/dev/null)" != "$src_key" ]; then
  mkdir -p "$CROSS/include/aarch64-linux-gnu"
  cp "$ROOT/usr/lib/python3.13/_sysconfigdata__linux_aarch64-linux-gnu.py" "$CROSS/"
  ln -sfn "$ROOT/usr/include/aarch64-linux-gnu/python3.13" "$CROSS/include/aarch64-linux-gnu/python3.13"
  rm -rf "$SCRATCH"; mkdir -p "$SCRATCH"
  cp -r "$PYDIR/ctscrub" "$SCRATCH/ctscrub"
  echo "$SETUP_PY" > "$SCRATCH/setup.py"
  # _PYTHON_SYSCONFIGDATA_NAME: setuptools reads the arm64 sysconfig (EXT_SUFFIX, flags). The include shim
  # exposes only aarch64-linux-gnu/python3.13/pyconfig.h: a plain -I$ROOT/usr/include would mix trixie's
  # glibc 2.41 headers with the cross toolchain's (see /work/arm64/setup_and_test.sh).
  if ! (cd "$SCRATCH" && env PYTHONPATH="$CROSS" _PYTHON_SYSCONFIGDATA_NAME=_sysconfigdata__linux_aarch64-linux-gnu \
          _PYTHON_HOST_PLATFORM=linux-aarch64 CC=aarch64-linux-gnu-gcc LDSHARED="aarch64-linux-gnu-gcc -shared" \
          CFLAGS="-I$ROOT/usr/include/python3.13 -I$CROSS/include" \
          "$HOST_PY" setup.py build_ext --inplace --parallel="$JOBS" > build.log 2>&1); then
    tail -40 "$SCRATCH/build.log"; fail "mypyc cross build failed (log: $SCRATCH/build.log)"
  fi
  echo "$src_key" > "$SCRATCH/.key"
else
  echo "compiled modules up to date (cached in $SCRATCH)"
fi
n=0
while IFS= read -r -d '' so; do
  rel=${so#"$SCRATCH"/}; mkdir -p "$PYDIR/$(dirname "$rel")"; cp "$so" "$PYDIR/$rel"; n=$((n + 1))
done < <(find "$SCRATCH" -name "*$SO_SUFFIX" -not -path "$SCRATCH/build/*" -print0)
[ "$n" -gt 0 ] || fail "no $SO_SUFFIX built"
echo "placed $n extension files ($(find "$PYDIR" -maxdepth 1 -name "*__mypyc$SO_SUFFIX" -printf '%f ')+ one per hot module)"
done_step

# ------------------------------------------------------------------------------------------------ 4
step "4 ELF aarch64 + glibc <= $MAX_GLIBC"
mapfile -d '' sos < <(find "$PYDIR" -name '*.so' -print0)
for so in "${sos[@]}"; do
  hdr=$(aarch64-linux-gnu-readelf -h "$so" 2>/dev/null) || fail "not ELF: $so"
  grep -q 'Class:.*ELF64' <<<"$hdr" && grep -q 'Machine:.*AArch64' <<<"$hdr" || fail "not ELF64 aarch64: $so"
  [[ $so == *.cpython-313-aarch64-linux-gnu.so || $so == */pydantic_core/* ]] || fail "unexpected extension name: $so"
done
maxv=0
for so in "${sos[@]}"; do
  v=$(aarch64-linux-gnu-objdump -T "$so" | { grep -o 'GLIBC_[0-9.]*' || true; } | sed 's/GLIBC_//' | sort -uV | tail -1)
  [ -z "$v" ] && continue
  if [ "$(printf '%s\n%s\n' "$v" "$MAX_GLIBC" | sort -V | tail -1)" != "$MAX_GLIBC" ]; then
    fail "$so needs GLIBC_$v > $MAX_GLIBC"; fi
  maxv=$(printf '%s\n%s\n' "$v" "$maxv" | sort -V | tail -1)
done
echo "${#sos[@]} .so files, all ELF64 AArch64; highest GLIBC_ symbol version needed: $maxv (limit $MAX_GLIBC)"
done_step

# ------------------------------------------------------------------------------------------------ 5
step "5a qemu: the compiled pipeline loads"
PYA -c "
import platform, ctscrub.pipeline as p
assert platform.machine() == 'aarch64', platform.machine()
assert p.__file__.endswith('$SO_SUFFIX'), p.__file__
print('ctscrub.pipeline from', p.__file__.removeprefix('$PYDIR/'))"
done_step

step "5b qemu: equivalence dump vs host sources"
rm -rf "$TESTD"; mkdir -p "$TESTD"
mapfile -t inputs < <("$HOST_PY" "$HELPER" inputs "$TESTD/inputs" "$CSV_LINES" "$X12_CLAIMS")
echo "${#inputs[@]} input files (generated: $CSV_LINES-line CSV, $X12_CLAIMS-claim 837P)"
PYTHONPATH=layers/ctscrub PYTHONDONTWRITEBYTECODE=1 "$HOST_PY" tests/equivalence_dump.py "$TESTD/sources.json" "${inputs[@]}"
PYA tests/equivalence_dump.py "$TESTD/arm64.json" "${inputs[@]}"
"$HOST_PY" "$HELPER" compare "$TESTD/sources.json" "$TESTD/arm64.json"
done_step

step "5c qemu: ctscrub.cli validate --format json"
rc=0; PYA -m ctscrub.cli validate samples/csv/chest_ct_demo.csv --format json > "$TESTD/cli.json" || rc=$?
[ "$rc" -eq 1 ] || fail "ctscrub.cli validate exited $rc, expected 1 (errors found)"
"$HOST_PY" "$HELPER" cli "$TESTD/cli.json"
done_step

# ------------------------------------------------------------------------------------------------ 6
step "6 zip"
find "$PYDIR/ctscrub" -name __pycache__ -prune -exec rm -rf {} +   # nothing should have written any
rm -f "$ZIP"
(cd "$LAYER" && zip -qrX "$ZIP" python)
echo "$ZIP: $(stat -c %s "$ZIP") bytes ($(du -h "$ZIP" | cut -f1)), $(unzip -Z1 "$ZIP" | wc -l) entries"
done_step

echo; echo "=== timings"; printf '%s' "$TIMINGS"
printf '%-48s %7.1f s\n' "TOTAL" "$(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{print a-b}')"
