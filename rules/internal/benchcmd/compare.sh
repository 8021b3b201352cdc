#!/usr/bin/env bash
# compare.sh lints the 13 MB benchmark document with Steward, Spectral CLI and
# Redocly CLI one after the other, each as a fresh process under
# /usr/bin/time, and prints one line per run: wall time, CPU time, peak RSS.
#
# Run from the repository root:
#   npm install --prefix /tmp/spectral @stoplight/spectral-cli@6.16.3
#   npm install --prefix /tmp/redocly @redocly/cli@2.77.0
#   bash rules/internal/benchcmd/compare.sh
#
# CORPUS, SPECTRAL, REDOCLY, RUNS and OUT override the defaults below.
# BASELINE, when set, is another benchcmd binary (say, built from an older
# commit) measured the same way, for a before/after in the same run.
set -euo pipefail
CORPUS=${CORPUS:-../shared/corpus}
SPECTRAL=${SPECTRAL:-/tmp/spectral/node_modules/.bin/spectral}
REDOCLY=${REDOCLY:-/tmp/redocly/node_modules/.bin/redocly}
RUNS=${RUNS:-3}
OUT=${OUT:-/tmp/steward-bench}
mkdir -p "$OUT"
spec=$OUT/bench-13mb.json

go build -o "$OUT/benchcmd" ./rules/internal/benchcmd
"$OUT/benchcmd" spec -corpus "$CORPUS" -o "$spec"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"

# measure NAME CMD...: one run of CMD, its output kept in $OUT/NAME.log.
measure() {
  local name=$1; shift
  local rc=0
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
  read -r wall user sys rss < <(tail -n 1 "$OUT/$name.time")
  printf '%-22s wall %7.2f s  cpu %7.2f s  peak RSS %6.0f MB  exit %d  load %s\n' \
    "$name" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc)" "$rc" "$(cut -d' ' -f1 /proc/loadavg)"
}

for i in $(seq "$RUNS"); do
  if [ -n "${BASELINE:-}" ]; then
    measure "steward-before-$i" "$BASELINE" lint -ruleset "$CORPUS/rulesets/oas-all.yaml" "$spec"
  fi
  measure "steward-$i" "$OUT/benchcmd" lint -ruleset "$CORPUS/rulesets/oas-all.yaml" "$spec"
done
if [ -x "$SPECTRAL" ]; then
  measure spectral "$SPECTRAL" lint -r "$CORPUS/rulesets/oas-all.yaml" -f json -o "$OUT/spectral.json" "$spec"
else
  echo "spectral: not installed at $SPECTRAL"
fi
if [ -x "$REDOCLY" ]; then
  for i in $(seq "$RUNS"); do
    REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
      measure "redocly-$i" "$REDOCLY" lint --extends=recommended --format=summary "$spec"
  done
else
  echo "redocly: not installed at $REDOCLY"
fi
for f in "$OUT"/steward-1.log "$OUT"/steward-before-1.log; do
  [ -f "$f" ] && echo "$(basename "$f" .log): $(grep -h '^run' "$f")"
done
[ -f "$OUT/spectral.json" ] && echo "spectral findings: $(grep -c '"code"' "$OUT/spectral.json")"
