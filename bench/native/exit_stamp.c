/* The child of bench/OsKill.Latency: records the CLOCK_MONOTONIC instant just before it calls _exit,
 * so that the parent can measure from the child's exit to the return of its wait.
 *   exit_stamp exit DELAY_MS STAMPFILE   sleep DELAY_MS, then stamp and _exit(0)
 *   exit_stamp term LIFETIME_S STAMPFILE on SIGTERM or SIGINT: stamp and _exit(0); else die by
 *                                         SIGALRM after LIFETIME_S seconds
 *   exit_stamp floor RUNS DELAY_MS       the floor, with no .NET: RUNS times, fork a child that sleeps
 *                                         DELAY_MS, stamps into shared memory and calls _exit, while
 *                                         the parent blocks in poll(2) on the child's pidfd; prints
 *                                         {"samples_us": [...]}, poll's return minus the stamp
 * The stamp is the decimal nanosecond count of CLOCK_MONOTONIC (the clock of .NET's Stopwatch on
 * Linux) and the number of the signal handled (0 for none), written with one write(2) to STAMPFILE,
 * which is opened before the wait. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int stamp_fd = -1;

/* Writes "NS SIG\n" (SIG 0 when no signal ended it) with one write(2), then _exit(0). */
static void stamp_and_exit(int sig) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    char buf[32];
    int len = 0;
    unsigned long long ns = (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
    char rev[32];
    do { rev[len++] = (char)('0' + ns % 10); ns /= 10; } while (ns);
    for (int i = 0; i < len; i++) buf[i] = rev[len - 1 - i];
    buf[len++] = ' ';
    if (sig >= 10) buf[len++] = (char)('0' + sig / 10);
    buf[len++] = (char)('0' + sig % 10);
    buf[len++] = '\n';
    if (write(stamp_fd, buf, (size_t)len) != len) _exit(3);
    _exit(0);
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int floor_runs(long runs, long delay_ms) {
    if (runs < 1 || runs > 100000) { fprintf(stderr, "exit_stamp: 1 <= RUNS <= 100000\n"); return 2; }
    volatile long long *stamp = mmap(0, sizeof *stamp, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (stamp == MAP_FAILED) { perror("mmap"); return 1; }
    printf("{\"samples_us\":[");
    for (long i = 0; i < runs; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            struct timespec d = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
            while (nanosleep(&d, &d) != 0) { }
            *stamp = now_ns();
            _exit(0);
        }
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0) { perror("pidfd_open"); return 1; }
        struct pollfd p = { fd, POLLIN, 0 };
        while (poll(&p, 1, -1) != 1) { }
        long long back = now_ns();
        waitpid(pid, 0, 0);
        close(fd);
        printf("%s%.3f", i ? "," : "", (double)(back - *stamp) / 1000.0);
    }
    printf("]}\n");
    return 0;
}

static void on_signal(int sig) { stamp_and_exit(sig); }

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: exit_stamp exit|term N STAMPFILE | floor RUNS DELAY_MS\n"); return 2; }
    long n = atol(argv[2]);
    if (strcmp(argv[1], "floor") == 0) return floor_runs(n, atol(argv[3]));
    stamp_fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (stamp_fd < 0) { perror("open"); return 1; }
    if (strcmp(argv[1], "exit") == 0) {
        alarm(60);
        struct timespec d = { n / 1000, (n % 1000) * 1000000L };
        while (nanosleep(&d, &d) != 0) { }
        stamp_and_exit(0);
    }
    if (strcmp(argv[1], "term") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGTERM, &sa, 0);
        sigaction(SIGINT, &sa, 0);
        alarm((unsigned)(n > 0 ? n : 60));
        for (;;) pause();
    }
    fprintf(stderr, "exit_stamp: unknown mode %s\n", argv[1]);
    return 2;
}
