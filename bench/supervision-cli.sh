#!/usr/bin/env bash
# Issue #15, item 3 (c): the whole-command cost of supervising `true`, with hyperfine -N (no shell):
#   oskill run -- true     the NativeAOT-published oskill (as bench/cli.sh publishes it)
#   timeout 10 true        GNU coreutils
#   tini -- true           Debian's tini (not PID 1 here: it warns on stderr, which hyperfine drops)
#   true                   bare, the floor
# `oskill run` is measured only where the oskill binary has it (it runs `true` with status 0 and
# `sh -c 'exit 3'` with status 3); otherwise the script says "oskill run not available" and times
# the rest. Writes artifacts/bench/supervision-cli.md (the table, the ratios and the conditions; the
# benchmarks page includes it) and artifacts/bench/supervision-cli.json (hyperfine's export).
#
# Usage: bench/supervision-cli.sh [--quick] [--runs N] [--oskill PATH]
#   --quick        20 runs after 3 warm-ups: shows that everything works; not numbers to publish
#   --runs N       N runs after 20 warm-ups (default 300)
#   --oskill PATH  time this oskill binary instead of publishing src/OsKill.Cli (NativeAOT) to artifacts/bench/oskill-aot
set -euo pipefail
cd "$(dirname "$0")/.."

runs=300 warmup=20 quick="" oskill=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) runs=20 warmup=3 quick=yes ;;
    --runs) runs=${2:?--runs takes a number}; shift ;;
    --oskill) oskill=${2:?--oskill takes a path}; shift ;;
    *) echo "usage: bench/supervision-cli.sh [--quick] [--runs N] [--oskill PATH]" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v tini >/dev/null || missing+=(tini)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

out=artifacts/bench
mkdir -p "$out"
if [ -z "$oskill" ]; then
  echo "publishing the NativeAOT oskill to $out/oskill-aot"
  dotnet publish src/OsKill.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out/oskill-aot" --verbosity quiet
  oskill=$out/oskill-aot/oskill
fi
true_bin=$(command -v true)
timeout_bin=$(command -v timeout)
tini_bin=$(command -v tini)

# Every command works before it is timed (hyperfine stops at a non-zero status anyway).
"$timeout_bin" 10 "$true_bin"
"$tini_bin" -- "$true_bin" 2>/dev/null
"$true_bin"
have_run=""
status=0
"$oskill" run -- /bin/sh -c 'exit 3' >/dev/null 2>&1 || status=$?
if "$oskill" run -- "$true_bin" >/dev/null 2>&1 && [ "$status" = 3 ]; then
  have_run=yes
else
  echo "oskill run not available ($oskill has no working run subcommand): timing the others only"
fi

ours="oskill run -- true (NativeAOT)"
gnu="timeout 10 true"
tini="tini -- true"
bare="true"
commands=()
[ -z "$have_run" ] || commands+=(-n "$ours" "$oskill run -- $true_bin")
commands+=(-n "$gnu" "$timeout_bin 10 $true_bin" -n "$tini" "$tini_bin -- $true_bin" -n "$bare" "$true_bin")
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$out/supervision-cli.json" \
  --export-markdown "$out/supervision-cli-table.md" "${commands[@]}"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

ratios=$(/usr/bin/python3 - "$out/supervision-cli.json" "$ours" "$gnu" "$tini" "$bare" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
ours, gnu, tini, bare = (r.get(n) for n in sys.argv[2:6])
def ms(x): return f"{x['median'] * 1000:.2f} ms"
lines = []
if ours:
    lines.append(f"`oskill run -- true` (median {ms(ours)}) against `timeout 10 true`: {ours['median'] / gnu['median']:.2f}×, "
                 f"against `tini -- true`: {ours['median'] / tini['median']:.2f}×, against bare `true`: {ours['median'] / bare['median']:.2f}× (ratios of medians).")
else:
    lines.append("`oskill run` was not available in the oskill binary measured: its row is missing.")
lines.append(f"`timeout 10 true` is {gnu['median'] / bare['median']:.2f}× bare `true`, `tini -- true` {tini['median'] / bare['median']:.2f}× (medians {ms(gnu)}, {ms(tini)} and {ms(bare)}).")
print("\n\n".join(lines))
PY
)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
{
  cat "$out/supervision-cli-table.md"
  echo
  echo "$ratios"
  echo
  echo "Measured by \`bench/supervision-cli.sh${quick:+ --quick}\` on $(date -u +%Y-%m-%d): hyperfine $(hyperfine --version | cut -d' ' -f2)," \
    "-N, $runs runs after $warmup warm-ups; $(nproc) cores ($cpu), Linux $(uname -r);" \
    "$("$timeout_bin" --version | head -1), $("$tini_bin" --version 2>&1 | head -1);" \
    "load average $load_start at the start, $load_end at the end."
  if [ -n "$quick" ]; then
    echo
    echo "(A --quick run: too few runs to publish.)"
  fi
} >"$out/supervision-cli.md"
rm "$out/supervision-cli-table.md"
echo
cat "$out/supervision-cli.md"
