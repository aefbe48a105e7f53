#!/usr/bin/env bash
# Reproduces the "Whole command" table of docs/benchmarks.md: the start-to-exit wall time of
# `oskill -0 PID` (NativeAOT), beside /bin/kill, the JIT build and python3's os.kill, in one
# hyperfine run against a live sleep. Usage: bench/cli.sh [RUNS]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-1000}

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }

aot=artifacts/bench/oskill-aot
dotnet publish src/OsKill.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$aot" >/dev/null
dotnet build src/OsKill.Cli -c Release >/dev/null
jit=src/OsKill.Cli/bin/Release/net10.0/OsKill.Cli.dll

sleep 3600 & target=$!
trap 'kill "$target" 2>/dev/null || true' EXIT

# The binaries work before they are timed: the front answers -0 itself and hands -l to the full one.
"$aot/oskill" -0 "$target"
"$aot/OsKill.Cli" -0 "$target"
dotnet "$jit" -0 "$target"
[ "$("$aot/oskill" -l 130)" = INT ]

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)   date: $(date -u +%Y-%m-%dT%H:%MZ)"
mkdir -p artifacts/bench
hyperfine -N --warmup 50 --runs "$runs" --export-markdown artifacts/bench/cli.md \
  -n "oskill -0 PID (NativeAOT)" "$aot/oskill -0 $target" \
  -n "OsKill.Cli -0 PID (NativeAOT, with System.CommandLine)" "$aot/OsKill.Cli -0 $target" \
  -n "/bin/kill -0 PID" "/bin/kill -0 $target" \
  -n "dotnet OsKill.Cli.dll -0 PID (JIT)" "dotnet $jit -0 $target" \
  -n "python3 os.kill(PID, 0)" "/usr/bin/python3 -c 'import os; os.kill($target, 0)'"
cat artifacts/bench/cli.md
