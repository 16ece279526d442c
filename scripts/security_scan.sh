#!/usr/bin/env bash
# Security scan of template.yaml (docs/SECURITY.md), offline apart from the first `pip install`:
#   1. checkov on the SAM template,
#   2. checkov on the template expanded by the SAM translator (what CloudFormation would create),
#   3. cfn-lint, plain and with the serverless rules, on the template (and on the expanded template).
# checkov pins an old boto3, so it lives in its own virtualenv, .venv-checkov (created on first run).
# Exits non-zero when any step reports a failure; prints a summary either way.
# Usage: bash scripts/security_scan.sh [TEMPLATE]   (default template.yaml)
set -uo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

TEMPLATE=${1:-template.yaml}
[ -f "$TEMPLATE" ] || { echo "no such template: $TEMPLATE" >&2; exit 2; }
SCAN_VENV=.venv-checkov
OUT=build/security-scan
EXPANDED="$OUT/template.expanded.json"
CHECKOV_SPEC="checkov>=3.2,<4"
TRANSLATOR_SPEC="aws-sam-translator>=1.90"

# A python that really runs (a pyenv shim can exist for a version that is not selected).
find_python() {
  local cand
  for cand in python3.13 "$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13" python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c "import sys" >/dev/null 2>&1; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

if ! "$SCAN_VENV/bin/python" -c "import checkov, samtranslator" >/dev/null 2>&1; then
  PY=$(find_python) || { echo "no python3 found to create $SCAN_VENV" >&2; exit 2; }
  echo "== creating $SCAN_VENV with $($PY --version) and installing checkov (first run only)"
  "$PY" -m venv "$SCAN_VENV" || exit 2
  "$SCAN_VENV/bin/python" -m pip install -q "$CHECKOV_SPEC" "$TRANSLATOR_SPEC" || exit 2
fi

# cfn-lint and its serverless rules come with the project's dev extras (.venv); else from PATH.
CFN_LINT=.venv/bin/cfn-lint
[ -x "$CFN_LINT" ] || CFN_LINT=$(command -v cfn-lint || true)
[ -n "$CFN_LINT" ] || { echo "cfn-lint not found: pip install -e '.[dev]' first" >&2; exit 2; }

declare -a SUMMARY=()
FAILED=0

run_checkov() {  # $1 = label, $2 = file
  local log="$OUT/checkov-$1.txt" counts
  "$SCAN_VENV/bin/checkov" -f "$2" --framework cloudformation --skip-download --compact --quiet \
    >"$log" 2>&1
  local rc=$?
  counts=$(grep -Eo "Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+" "$log" | head -1)
  sed -e '/^$/d' "$log"
  # checkov exits 1 on failed checks. A file it cannot parse exits 0 with "Parsing errors" and no
  # check run: that, no summary, or zero passed checks is a failure too.
  if [ $rc -ne 0 ] || [ -z "$counts" ] || grep -q "Parsing errors" "$log" \
      || [[ "$counts" == "Passed checks: 0,"* ]]; then
    FAILED=1
    SUMMARY+=("checkov $1: FAILED (exit $rc) ${counts:-no result}")
  else
    SUMMARY+=("checkov $1: $counts")
  fi
}

run_cfn_lint() {  # $1 = label, rest = cfn-lint arguments
  local label=$1; shift
  if "$CFN_LINT" "$@"; then
    SUMMARY+=("cfn-lint $label: no findings")
  else
    FAILED=1
    SUMMARY+=("cfn-lint $label: FINDINGS (see above)")
  fi
}

mkdir -p "$OUT"
echo "== checkov: $TEMPLATE"
run_checkov sam "$TEMPLATE"

echo "== SAM translator: expanding $TEMPLATE"
rm -f "$EXPANDED"
if "$SCAN_VENV/bin/python" scripts/expand_template.py "$TEMPLATE" "$EXPANDED"; then
  echo "== checkov: expanded template"
  run_checkov expanded "$EXPANDED"
else
  FAILED=1
  SUMMARY+=("SAM translator: expansion FAILED")
fi

echo "== cfn-lint"
run_cfn_lint "$TEMPLATE" "$TEMPLATE"
run_cfn_lint "$TEMPLATE + serverless rules" "$TEMPLATE" -a cfn_lint_serverless.rules
[ -f "$EXPANDED" ] && run_cfn_lint "expanded template" "$EXPANDED"

echo "== security scan summary"
printf '  %s\n' "${SUMMARY[@]}"
if [ $FAILED -ne 0 ]; then
  echo "security scan: FAILED"
  exit 1
fi
echo "security scan: passed"
