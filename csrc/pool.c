/* pool.c: the thread count. The worker pool itself arrives with the threaded kernels; for now
 * this only stores the number the kernels will be allowed to use. */
#define _GNU_SOURCE /* sched_getaffinity / CPU_COUNT */
#include <stdlib.h>
#include <limits.h>
#include <errno.h>
#include "fastgrad.h"
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

static int fg_num_threads = 0; /* 0: not resolved yet */

/* FASTGRAD_NUM_THREADS when it is a positive integer, else the CPUs this process may run on
 * (the affinity mask, so taskset and cgroup cpusets are respected), else 1. */
static int fg_default_threads(void)
{
    const char *env = getenv("FASTGRAD_NUM_THREADS");
    if (env && *env) {
        char *end;
        errno = 0;
        long n = strtol(env, &end, 10);
        if (errno == 0 && *end == '\0' && n >= 1 && n <= INT_MAX)
            return (int)n;
    }
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1)
            return n;
    }
#endif
#if defined(_SC_NPROCESSORS_ONLN)
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n >= 1 && n <= INT_MAX)
        return (int)n;
#endif
    return 1;
}

void fg_set_num_threads(int n)
{
    fg_num_threads = n >= 1 ? n : 1;
}

int fg_get_num_threads(void)
{
    /* Lazy so the environment is read when first needed. Two racing first calls compute the
     * same value, so the unsynchronised write is benign. */
    if (fg_num_threads == 0)
        fg_num_threads = fg_default_threads();
    return fg_num_threads;
}
