#!/usr/bin/env bash
# oskill's whole-command benchmark: the wall time from exec to exit of `-0 PID` against a live
# sleep, in one hyperfine run without a shell (-N), for
#   oskill       the NativeAOT front (no System.CommandLine), as installed from the publish
#   OsKill.Cli   the full NativeAOT binary beside it
#   /bin/kill    Debian's (procps)
#   the JIT build under the dotnet host (`dotnet OsKill.Cli.dll`, how the dotnet tool runs)
#   python3's os.kill
# and two floors: an empty C program (what exec costs here) and an empty NativeAOT program built
# with oskill's own start-up settings (bench/floor/EmptyAot; what the .NET runtime adds to that).
# Writes artifacts/bench/cli.md (the table, the ratio to /bin/kill and the conditions; the
# benchmarks page includes it) and artifacts/bench/cli.json (hyperfine's export).
# docs/cli-startup.md explains where the time goes. Needs the .NET SDK, gcc (the NativeAOT link)
# and apt for hyperfine if it is missing.
#
# Usage: bench/cli.sh [--quick] [--runs N]
#   --quick   20 runs after 3 warm-ups: shows that everything works; not numbers to publish
#   --runs N  N runs after 50 warm-ups (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=1000 warmup=50 quick=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) runs=20 warmup=3 quick=yes ;;
    --runs) runs=${2:?--runs takes a number}; shift ;;
    *) echo "usage: bench/cli.sh [--quick] [--runs N]" >&2; exit 2 ;;
  esac
  shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v hyperfine >/dev/null; then
  echo "installing: hyperfine"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends hyperfine
fi

out=artifacts/bench
aot=$out/oskill-aot
jit=src/OsKill.Cli/bin/Release/net10.0/OsKill.Cli.dll
dotnet=$(command -v dotnet)
echo "publishing the NativeAOT pair to $aot, building the JIT one"
dotnet publish src/OsKill.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$aot" --verbosity quiet
dotnet build src/OsKill.Cli -c Release --verbosity quiet
dotnet publish bench/floor/EmptyAot -c Release -r linux-x64 -o "$out/empty-aot" --verbosity quiet
mkdir -p "$out/bin"
gcc -O2 -o "$out/bin/empty" bench/floor/empty.c

sleep 3600 &
target=$!
trap 'kill "$target" 2>/dev/null || true' EXIT

# Every command works before it is timed (hyperfine stops at a non-zero status anyway), and the
# front hands what it does not parse to OsKill.Cli.
"$aot/oskill" -0 "$target"
"$aot/OsKill.Cli" -0 "$target"
/bin/kill -0 "$target"
"$dotnet" "$jit" -0 "$target"
/usr/bin/python3 -c "import os; os.kill($target, 0)"
"$out/empty-aot/EmptyAot"
"$out/bin/empty"
[ "$("$aot/oskill" -l 130)" = INT ]

front="oskill -0 PID (NativeAOT front)"
kill="/bin/kill -0 PID"
empty_aot="floor: an empty NativeAOT program (oskill's settings)"
empty_c="floor: an empty C program"
mkdir -p "$out"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$out/cli.json" --export-markdown "$out/cli-table.md" \
  -n "$front" "$aot/oskill -0 $target" \
  -n "OsKill.Cli -0 PID (NativeAOT, with System.CommandLine)" "$aot/OsKill.Cli -0 $target" \
  -n "$kill" "/bin/kill -0 $target" \
  -n "dotnet OsKill.Cli.dll -0 PID (JIT)" "$dotnet $jit -0 $target" \
  -n "python3 os.kill(PID, 0)" "/usr/bin/python3 -c 'import os; os.kill($target, 0)'" \
  -n "$empty_aot" "$out/empty-aot/EmptyAot" \
  -n "$empty_c" "$out/bin/empty"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

ratio=$(/usr/bin/python3 - "$out/cli.json" "$front" "$kill" "$empty_aot" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
front, kill, empty = results[sys.argv[2]], results[sys.argv[3]], results[sys.argv[4]]
print(f"{front['mean'] / kill['mean']:.2f}× by the mean, {front['min'] / kill['min']:.2f}× by the minimum. "
      f"An empty NativeAOT program with the same settings takes {empty['mean'] / kill['mean']:.2f}× /bin/kill's mean: "
      f"the runtime's start alone is {empty['mean'] * 1000:.1f} ms of the front's {front['mean'] * 1000:.1f} ms, "
      f"and oskill's own work adds {(front['mean'] - empty['mean']) * 1000:.1f} ms to it")
EOF
)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
{
  cat "$out/cli-table.md"
  echo
  echo "\`oskill -0 PID\` (the NativeAOT front) against \`/bin/kill -0 PID\`: $ratio."
  echo
  echo "Measured by \`bench/cli.sh${quick:+ --quick}\` on $(date -u +%Y-%m-%d): hyperfine $(hyperfine --version | cut -d' ' -f2)," \
    "-N, $runs runs after $warmup warm-ups; $(nproc) cores ($cpu), Linux $(uname -r)," \
    ".NET SDK $("$dotnet" --version); load average $load_start at the start, $load_end at the end."
  if [ -n "$quick" ]; then
    echo
    echo "(A --quick run: too few runs to publish.)"
  fi
} >"$out/cli.md"
rm "$out/cli-table.md"
echo
cat "$out/cli.md"
