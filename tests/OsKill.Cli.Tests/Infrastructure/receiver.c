/*
 * The test suite's signal receiver: it blocks the signals named on its command line (numbers),
 * prints "ready PID", then takes each one with sigwaitinfo(2) and prints
 * "got SIG code CODE value VALUE" (si_code -1 is SI_QUEUE, 0 is SI_USER). Single-threaded, so
 * blocking in main blocks the signals for the whole process. It exits when stdin closes.
 * Built by the tests with the system C compiler: .NET cannot read si_value, nor can python3.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <poll.h>

int main(int argc, char **argv)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 1; i < argc; i++)
        sigaddset(&set, atoi(argv[i]));
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
        return 2;

    printf("ready %d\n", (int)getpid());
    fflush(stdout);

    for (;;) {
        struct timespec tick = { 0, 50 * 1000 * 1000 };
        siginfo_t info;
        int sig = sigtimedwait(&set, &info, &tick);
        if (sig > 0) {
            printf("got %d code %d value %d\n", sig, info.si_code, info.si_value.sival_int);
            fflush(stdout);
            continue;
        }
        struct pollfd in = { 0, POLLIN, 0 };
        if (poll(&in, 1, 0) > 0) {
            char buf[64];
            if (read(0, buf, sizeof buf) <= 0)
                return 0;
        }
    }
}
