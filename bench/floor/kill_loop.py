"""The python3 row of the per-call table: N calls of os.kill(pid, 0), timed with time.perf_counter_ns.

usage: python3 kill_loop.py PID N REPS
One untimed warm-up pass of N calls, then REPS timed passes; prints one JSON object like kill_loop.c.
"""
import json
import os
import statistics
import sys
import time


def main() -> None:
    pid, n, reps = (int(a) for a in sys.argv[1:4])
    kill = os.kill
    for _ in range(n):
        kill(pid, 0)
    passes = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            kill(pid, 0)
        passes.append((time.perf_counter_ns() - t0) / n)
    name = f"python{sys.version_info[0]}.{sys.version_info[1]} os.kill(pid, 0) loop"
    print(json.dumps({"name": name, "n": n, "reps": reps, "ns_per_call": round(statistics.median(passes), 2),
                      "min": round(min(passes), 2), "passes": [round(p, 2) for p in passes]}))


if __name__ == "__main__":
    main()
