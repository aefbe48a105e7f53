/* The process trees of bench/OsKill.TreeBench.
 *   tree_node static  N LIFETIME_S   grows to exactly N processes (the root included), then every
 *                                    member sleeps until its lifetime ends
 *   tree_node forking N LIFETIME_S [LEAF_MS [NAP_MS]]
 *                                    grows to N live processes and keeps forking: a leaf exits after
 *                                    0.5-1.5 LEAF_MS (default 2000), its parent reaps it, and any member
 *                                    with room forks a replacement (each member looks every 0.5-1.5
 *                                    NAP_MS, default 100), so the tree stays near N while forking
 * Hard limits, whatever the arguments:
 *   - live population <= N <= 5000: a slot is taken in shared memory (inherited by fork) before each
 *     fork and given back only when the parent reaps the child, so a member killed with children
 *     alive never frees slots;
 *   - forks in all <= N (static) or <= min(50 N, 100000) (forking);
 *   - depth <= 6 and at most 8 children per member;
 *   - lifetime: every member has alarm(2) set to the tree's deadline (LIFETIME_S <= 600) and dies by
 *     SIGALRM then; the forking loop also exits at the deadline.
 * The root calls setsid(), so the tree is the session whose id is the root's pid; every member is a
 * fork of the root and keeps its comm, "tree_node". No member ever execs. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 5000
#define MAX_DEPTH 6
#define FANOUT 8

struct shared { long live; long total; long long deadline_ns; };

static struct shared *sh;
static long cap_live, cap_total;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void nap_ms(long ms) {
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, 0);
}

/* Takes a live slot and a fork ticket; 0 if either cap is reached. */
static int reserve(void) {
    long live = __atomic_load_n(&sh->live, __ATOMIC_SEQ_CST);
    do {
        if (live >= cap_live) return 0;
    } while (!__atomic_compare_exchange_n(&sh->live, &live, live + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    if (__atomic_fetch_add(&sh->total, 1, __ATOMIC_SEQ_CST) >= cap_total) {
        __atomic_fetch_sub(&sh->live, 1, __ATOMIC_SEQ_CST);
        return 0;
    }
    return 1;
}

static void set_alarm(void) {
    long long left = sh->deadline_ns - now_ns();
    alarm(left <= 0 ? 1 : (unsigned)(left / 1000000000LL) + 1);
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 6) { fprintf(stderr, "usage: tree_node static|forking N LIFETIME_S [LEAF_MS [NAP_MS]]\n"); return 2; }
    int forking = strcmp(argv[1], "forking") == 0;
    if (!forking && strcmp(argv[1], "static") != 0) { fprintf(stderr, "tree_node: unknown mode %s\n", argv[1]); return 2; }
    long n = atol(argv[2]), lifetime = atol(argv[3]);
    long leaf_ms = argc > 4 ? atol(argv[4]) : 2000, nap = argc > 5 ? atol(argv[5]) : 100;
    if (leaf_ms < 10) leaf_ms = 10;
    if (nap < 2) nap = 2;
    if (n < 1 || n > MAX_N || lifetime < 1 || lifetime > 600) { fprintf(stderr, "tree_node: need 1 <= N <= %d and 1 <= LIFETIME_S <= 600\n", MAX_N); return 2; }
    if (setsid() < 0) { perror("setsid"); return 1; }
    sh = mmap(0, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) { perror("mmap"); return 1; }
    cap_live = n;
    cap_total = forking ? (50 * n < 100000 ? 50 * n : 100000) : n;
    sh->live = 1;
    sh->total = 1;
    sh->deadline_ns = now_ns() + lifetime * 1000000000LL;
    set_alarm();

    int depth = 0, kids = 0;
    long long leaf_exit_at = 0;
    srand((unsigned)getpid());
    for (;;) {
        long long now = now_ns();
        if (now >= sh->deadline_ns) _exit(0);
        int status;
        while (waitpid(-1, &status, WNOHANG) > 0) {
            kids--;
            __atomic_fetch_sub(&sh->live, 1, __ATOMIC_SEQ_CST);
        }
        if (!forking && __atomic_load_n(&sh->total, __ATOMIC_SEQ_CST) >= cap_total) break;
        if (kids < FANOUT && depth < MAX_DEPTH && reserve()) {
            pid_t p = fork();
            if (p < 0) {
                __atomic_fetch_sub(&sh->live, 1, __ATOMIC_SEQ_CST);
            } else if (p == 0) {
                depth++;
                kids = 0;
                set_alarm();
                srand((unsigned)getpid());
                leaf_exit_at = now_ns() + (leaf_ms / 2 + rand() % leaf_ms) * 1000000LL;
                continue;
            } else {
                kids++;
            }
        }
        if (forking && depth > 0 && kids == 0 && now >= leaf_exit_at) _exit(0);
        nap_ms(forking ? nap / 2 + rand() % nap : 2);
    }
    for (;;) pause();
}
