#!/usr/bin/env bash
# The whole test command (make test, .ci/run): setup, pytest (every test path), ansible-test sanity, ansible-lint,
# antsibull-docs (plugin docs and the docsite guides), collection build. Every step runs even when an earlier one
# failed, so one run shows all problems; the summary at the end lists each step's result and time, and the exit status
# is non-zero when any step failed.
# Output of each step is also kept in build/logs/<step>.log.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
logs="$root/build/logs"
results="$root/build/test-results"
mkdir -p "$logs" "$results"
rm -f "$results/pytest.xml"

declare -a summary=()
failed=0
started=$SECONDS

# run_step NAME COMMAND...: run with stdin closed, tee its output to the log, record status and duration.
run_step() {
  local name=$1 begin=$SECONDS status
  shift
  echo
  echo "======== $name: $* ========"
  "$@" </dev/null 2>&1 | tee "$logs/$name.log"
  status=${PIPESTATUS[0]}
  if [ "$status" -eq 0 ]; then
    summary+=("$(printf 'PASS  %-8s %5ss' "$name" $((SECONDS - begin)))")
  else
    summary+=("$(printf 'FAIL  %-8s %5ss  (exit %s, log: build/logs/%s.log)' "$name" $((SECONDS - begin)) "$status" "$name")")
    failed=1
  fi
  return "$status"
}

if ! run_step setup bash scripts/setup.sh; then
  echo "test: setup failed; nothing else can run" >&2
  exit 1
fi
# shellcheck source=scripts/env.sh
source "$root/scripts/env.sh"

run_step testhosts bash scripts/test-hosts.sh
run_step peers bash scripts/test-peers.sh
# Three workers: the integration tests mostly wait on servers and ansible-playbook, so they overlap well on 2 cores.
run_step pytest python -m pytest -n 3 --junitxml="$results/pytest.xml" -o junit_family=xunit2
run_step sanity bash scripts/sanity.sh
run_step lint bash scripts/lint.sh
run_step docs bash scripts/docs.sh
run_step molecule bash scripts/molecule.sh
run_step build bash scripts/build.sh

# Test counts from pytest's JUnit report, as the last line: "pytest: N passed, N failed, N skipped".
counts=$(python - "$results/pytest.xml" <<'PY' 2>/dev/null || echo "pytest: no report (pytest did not finish)"
import sys
import xml.etree.ElementTree as ElementTree

suites = ElementTree.parse(sys.argv[1]).getroot()
suites = [suites] if suites.tag == "testsuite" else list(suites)
total = {key: sum(int(suite.get(key, 0)) for suite in suites) for key in ("tests", "failures", "errors", "skipped")}
failed = total["failures"] + total["errors"]
print(f"pytest: {total['tests'] - failed - total['skipped']} passed, {failed} failed, {total['skipped']} skipped")
PY
)

echo
echo "======== summary ($((SECONDS - started)) s) ========"
printf '%s\n' "${summary[@]}"
if [ "$failed" -eq 0 ]; then
  echo "RESULT: all steps passed"
else
  echo "RESULT: FAILED"
fi
echo "$counts"
exit "$failed"
