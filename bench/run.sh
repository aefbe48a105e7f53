#!/usr/bin/env bash
# Runs every benchmark of docs/benchmarks.md on this machine, in one run, and regenerates the page.
#
#   bench/run.sh            the full run (about 16 minutes on 2 cores, 6 of them section 5): docs/benchmarks.md and docs/benchmarks/*.png
#   bench/run.sh --quick    a sanity pass in a minute or two; the page says it is one
#   bench/run.sh --smoke    builds and runs each harness for a few seconds; writes only under artifacts/bench
#   --cli / --no-cli        run bench/cli.sh and bench/supervision-cli.sh (hyperfine, NativeAOT publish) or not; by
#                           default only the full run does
#   --only supervision      only section 5 (bench/OsKill.SupervisionBench, and bench/supervision-cli.sh with --cli); the
#                           page of that partial run goes to artifacts/bench/partial/benchmarks.md, never to docs/
#
# Results: artifacts/bench/*.json (and cli.md); BenchmarkDotNet's own reports in artifacts/bench/bdn.
set -euo pipefail
cd "$(dirname "$0")/.."
command_line="bench/run.sh${*:+ $*}"
mode=full
cli=
only=
usage="usage: bench/run.sh [--quick|--smoke] [--cli|--no-cli] [--only supervision]"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --cli) cli=yes ;;
    --no-cli) cli=no ;;
    --only) only=${2:-}; [ "$only" = supervision ] || { echo "$usage" >&2; exit 2; }; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$cli" ] || { [ "$mode" = full ] && cli=yes || cli=no; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

start=$SECONDS
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
art=artifacts/bench
bin=$art/bin
step() { printf '\n=== %s (%d s)\n' "$*" "$((SECONDS - start))"; }

step "Tools"
missing=()
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[ -x /usr/bin/python3 ] || missing+=(python3)
if [ "$cli" = yes ] && ! command -v hyperfine >/dev/null; then missing+=(hyperfine); fi
if [ "$cli" = yes ] && ! command -v tini >/dev/null; then missing+=(tini); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "gcc $(gcc -dumpfullversion), $(/usr/bin/python3 --version), hyperfine: $(command -v hyperfine || echo none)"

step "Build"
mkdir -p "$bin"
rm -f "$art"/{machine,percall,floor-c,floor-python,latency,tree,supervision}.json
[ "$cli" = no ] || rm -f "$art/cli.md" "$art/supervision-cli.md"
for src in bench/floor/kill_loop.c bench/native/exit_stamp.c bench/native/tree_node.c; do
  gcc -O2 -Wall -Wextra -Werror -o "$bin/$(basename "$src" .c)" "$src"
done
dotnet build bench/OsKill.Bench.slnx -c Release -nologo -v q -clp:NoSummary
run() { dotnet "bench/$1/bin/Release/net10.0/$1.dll" --mode "$mode" --artifacts "$art" "${@:2}"; }

/usr/bin/python3 - "$art/machine.json" "$mode" "$command_line" "$load_at_start" <<'PY'
import json, os, platform, subprocess, sys, datetime
def out(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
dirty = out("git", "status", "--porcelain", "--untracked-files=no")
json.dump({
    "mode": sys.argv[2], "command": sys.argv[3], "load_at_start": sys.argv[4],
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
    "dotnet": "SDK " + out("dotnet", "--version") + ", runtime " + out("dotnet", "--list-runtimes").splitlines()[-1].split(" [")[0],
    "gcc": "gcc " + out("gcc", "-dumpfullversion"), "python": out("/usr/bin/python3", "--version"),
    "commit": out("git", "rev-parse", "--short", "HEAD") + ("-dirty" if dirty and dirty != "?" else ""),
}, open(sys.argv[1], "w"), indent=2)
PY

# Sections 1 to 4 (left out by --only supervision).
if [ -z "$only" ]; then
step "1. Per-call cost: BenchmarkDotNet"
run OsKill.Benchmarks

step "1. Per-call cost: the C and python3 floors"
case "$mode" in
  full) c_n=1000000 py_n=200000 reps=11 ;;
  quick) c_n=200000 py_n=50000 reps=5 ;;
  *) c_n=10000 py_n=5000 reps=3 ;;
esac
sleep 600 & target=$!
trap 'kill "$target" 2>/dev/null || true' EXIT
"$bin/kill_loop" "$target" "$c_n" "$reps" | tee "$art/floor-c.json"
/usr/bin/python3 bench/floor/kill_loop.py "$target" "$py_n" "$reps" | tee "$art/floor-python.json"
kill "$target"
trap - EXIT

step "3. Stop latency"
run OsKill.Latency

step "4. Tree kill"
run OsKill.TreeBench

step "2. Whole command: bench/cli.sh"
if [ "$cli" = yes ] && [ -x bench/cli.sh ]; then
  if [ "$mode" = full ]; then bench/cli.sh; else bench/cli.sh --quick; fi
elif [ "$cli" = yes ]; then
  echo "bench/cli.sh is not in this tree: the page says so"
else
  echo "skipped (--cli runs it)"
fi
fi

step "5. Supervision"
run OsKill.SupervisionBench
if [ "$cli" = yes ]; then
  # bench/cli.sh has just published the NativeAOT oskill (not with --only): time that one.
  reuse=()
  [ -n "$only" ] || [ ! -x "$art/oskill-aot/oskill" ] || reuse=(--oskill "$art/oskill-aot/oskill")
  if [ "$mode" = full ]; then bench/supervision-cli.sh "${reuse[@]}"; else bench/supervision-cli.sh --quick "${reuse[@]}"; fi
else
  echo "bench/supervision-cli.sh skipped (--cli runs it)"
fi

step "Charts and page"
if [ -n "$only" ]; then
  dotnet bench/OsKill.Charts/bin/Release/net10.0/OsKill.Charts.dll --artifacts "$art" --png "$art/partial" --md "$art/partial/benchmarks.md"
elif [ "$mode" = smoke ]; then
  dotnet bench/OsKill.Charts/bin/Release/net10.0/OsKill.Charts.dll --artifacts "$art" --png "$art/smoke" --md "$art/smoke/benchmarks.md"
else
  dotnet bench/OsKill.Charts/bin/Release/net10.0/OsKill.Charts.dll --artifacts "$art" --png docs/benchmarks --md docs/benchmarks.md
fi
step "Done ($mode)"
