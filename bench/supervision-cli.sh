#!/usr/bin/env bash
# Issue #15, item 3 (c): the whole-command cost of supervising `true`, with hyperfine -N (no shell):
#   oskill run -- true     the NativeAOT-published oskill (as bench/cli.sh publishes it)
#   timeout 10 true        GNU coreutils
#   tini -- true           Debian's tini (not PID 1 here: it warns on stderr, which hyperfine drops)
#   true                   bare, the floor
# `oskill run` is measured only where the oskill binary has it (it runs `true` with status 0 and
# `sh -c 'exit 3'` with status 3); otherwise the script says "oskill run not available" and times
# the rest. hyperfine times one command after the other, so a change of load between them would
# pass for a difference: it runs in --passes passes (the order reversed in every other one), and
# the ratios are per pass, then the median over the passes. Writes artifacts/bench/supervision-cli.md
# (the table, the ratios and the conditions; the benchmarks page includes it) and
# artifacts/bench/supervision-cli-N.json (hyperfine's export of pass N).
#
# Usage: bench/supervision-cli.sh [--quick] [--runs N] [--passes N] [--oskill PATH]
#   --quick        1 pass of 20 runs after 3 warm-ups: shows that everything works; not numbers to publish
#   --runs N       N runs of each command in each pass, after 10 warm-ups (default 100)
#   --passes N     how many passes (default 3)
#   --oskill PATH  time this oskill binary instead of publishing src/OsKill.Cli (NativeAOT) to artifacts/bench/oskill-aot
set -euo pipefail
cd "$(dirname "$0")/.."

runs=100 warmup=10 passes=3 quick="" oskill=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) runs=20 warmup=3 passes=1 quick=yes ;;
    --runs) runs=${2:?--runs takes a number}; shift ;;
    --passes) passes=${2:?--passes takes a number}; shift ;;
    --oskill) oskill=${2:?--oskill takes a path}; shift ;;
    *) echo "usage: bench/supervision-cli.sh [--quick] [--runs N] [--passes N] [--oskill PATH]" >&2; exit 2 ;;
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
[ -z "$have_run" ] || commands+=("$ours" "$oskill run -- $true_bin")
commands+=("$gnu" "$timeout_bin 10 $true_bin" "$tini" "$tini_bin -- $true_bin" "$bare" "$true_bin")
rm -f "$out"/supervision-cli-*.json
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for pass in $(seq 1 "$passes"); do
  args=()
  for ((i = 0; i < ${#commands[@]}; i += 2)); do
    if [ $((pass % 2)) = 1 ]; then args+=(-n "${commands[i]}" "${commands[i + 1]}"); else args=(-n "${commands[i]}" "${commands[i + 1]}" "${args[@]}"); fi
  done
  echo "pass $pass of $passes"
  hyperfine -N --style basic --warmup "$warmup" --runs "$runs" --export-json "$out/supervision-cli-$pass.json" "${args[@]}"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

table=$(/usr/bin/python3 - "$ours" "$gnu" "$tini" "$bare" "$out"/supervision-cli-*.json <<'PY'
import json, statistics, sys
ours, gnu, tini, bare = sys.argv[1:5]
passes = [{x["command"]: x for x in json.load(open(f))["results"]} for f in sys.argv[5:]]
names = [n for n in (ours, gnu, tini, bare) if n in passes[0]]
def med(v): return statistics.median(v)
def ms(v): return f"{v * 1000:.2f}"
def ratio(a, b):
    r = [p[a]["median"] / p[b]["median"] for p in passes]
    return f"{med(r):.2f}× ({min(r):.2f}–{max(r):.2f})" if len(r) > 1 else f"{r[0]:.2f}×"
print(f"| Command | Median [ms], median of {len(passes)} pass{'es' if len(passes) > 1 else ''} | Medians of the passes [ms] | Min [ms] | vs `true` | vs `timeout 10 true` |")
print("|:---|---:|---:|---:|---:|---:|")
for n in names:
    meds = [p[n]["median"] for p in passes]
    print(f"| `{n}` | {ms(med(meds))} | {', '.join(ms(m) for m in meds)} | {ms(min(p[n]['min'] for p in passes))} | {ratio(n, bare)} | {ratio(n, gnu)} |")
print()
if ours in names:
    print(f"`oskill run -- true` against `timeout 10 true`: {ratio(ours, gnu)}; against `tini -- true`: {ratio(ours, tini)}; "
          f"against bare `true`: {ratio(ours, bare)} (ratios of medians in the same pass; the median over the passes, the range in brackets).")
else:
    print("`oskill run` was not available in the oskill binary measured: its row is missing (oskill run not available).")
PY
)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
{
  echo "$table"
  echo
  echo "Measured by \`bench/supervision-cli.sh${quick:+ --quick}\` on $(date -u +%Y-%m-%d): hyperfine $(hyperfine --version | cut -d' ' -f2)," \
    "-N, $passes pass(es) of $runs runs of each command after $warmup warm-ups; $(nproc) cores ($cpu), Linux $(uname -r);" \
    "$("$timeout_bin" --version | head -1), $("$tini_bin" --version 2>&1 | head -1);" \
    "load average $load_start at the start, $load_end at the end."
  if [ -n "$quick" ]; then
    echo
    echo "(A --quick run: too few runs to publish.)"
  fi
} >"$out/supervision-cli.md"
echo
cat "$out/supervision-cli.md"
