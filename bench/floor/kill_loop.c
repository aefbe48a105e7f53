/* The floor of the per-call table: N calls of kill(pid, 0) from C, timed with CLOCK_MONOTONIC.
 * usage: kill_loop PID N REPS   (built by bench/run.sh with gcc -O2)
 * Runs one untimed warm-up pass of N calls, then REPS timed passes, and prints one JSON object:
 * the median, minimum and every pass in nanoseconds per call. Exits 1 if any call fails. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int pass(pid_t pid, long n) {
    for (long i = 0; i < n; i++) {
        if (kill(pid, 0) != 0) { perror("kill"); return 1; }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: kill_loop PID N REPS\n"); return 2; }
    pid_t pid = (pid_t)atol(argv[1]);
    long n = atol(argv[2]);
    int reps = atoi(argv[3]);
    if (pid <= 0 || n <= 0 || reps <= 0 || reps > 1000) { fprintf(stderr, "kill_loop: bad arguments\n"); return 2; }
    double *per = malloc(sizeof(double) * (size_t)reps);
    if (!per || pass(pid, n)) return 1;
    for (int r = 0; r < reps; r++) {
        long long t0 = now_ns();
        if (pass(pid, n)) return 1;
        per[r] = (double)(now_ns() - t0) / (double)n;
    }
    double sorted[1000];
    for (int r = 0; r < reps; r++) sorted[r] = per[r];
    qsort(sorted, (size_t)reps, sizeof(double), cmp);
    double median = reps % 2 ? sorted[reps / 2] : (sorted[reps / 2 - 1] + sorted[reps / 2]) / 2;
    printf("{\"name\":\"C kill(pid, 0) loop, gcc -O2\",\"n\":%ld,\"reps\":%d,\"ns_per_call\":%.2f,\"min\":%.2f,\"passes\":[", n, reps, median, sorted[0]);
    for (int r = 0; r < reps; r++) printf("%s%.2f", r ? "," : "", per[r]);
    printf("]}\n");
    return 0;
}
