/* pool.c: the thread count, a small persistent worker pool, and per-thread scratch memory.
 *
 * Workers are created lazily by the first parallel call and then kept. Between calls they sleep
 * on a condition variable (after a spin of a few microseconds, bounded, so nothing burns CPU
 * once a call has returned). A job's parts go to whichever thread claims them first, so a
 * worker the OS is slow to run (a busy machine) costs at most the caller's doing its part too,
 * never a wait for that worker's whole share. One caller at a time owns the pool; a second
 * thread calling in meanwhile simply computes alone, which gives the same result since work is
 * split only over outputs. After fork() the child has no workers: an atfork handler forgets
 * them and the child's first parallel call creates its own.
 */
#define _GNU_SOURCE /* sched_getaffinity / CPU_COUNT */
#include <stdlib.h>
#include <limits.h>
#include <errno.h>
#include <pthread.h>
#include "fastgrad.h"
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

static int fg_num_threads = 0; /* 0: not resolved yet */

/* A positive integer at the start of the variable `name`, else 0. OMP_NUM_THREADS may list a
 * count per nesting level ("4,2"): the first is the outermost, the one that applies here. */
static int fg_env_threads(const char *name, int allow_list)
{
    const char *env = getenv(name);
    if (!env || !*env)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(env, &end, 10);
    if (errno != 0 || end == env || n < 1 || n > INT_MAX)
        return 0;
    if (*end != '\0' && !(allow_list && *end == ','))
        return 0;
    return (int)n;
}

/* FASTGRAD_NUM_THREADS when it is a positive integer, else OMP_NUM_THREADS (the convention
 * NumPy's BLAS, scikit-learn and PyTorch follow), else the CPUs this process may run on (the
 * affinity mask, so taskset and cgroup cpusets are respected), else 1. */
static int fg_default_threads(void)
{
    int from_env = fg_env_threads("FASTGRAD_NUM_THREADS", 0);
    if (!from_env)
        from_env = fg_env_threads("OMP_NUM_THREADS", 1);
    if (from_env)
        return from_env;
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
    __atomic_store_n(&fg_num_threads, n >= 1 ? n : 1, __ATOMIC_RELAXED);
}

int fg_get_num_threads(void)
{
    /* Lazy so the environment is read when first needed. Two racing first calls compute the
     * same value, so the unsynchronised write is benign. */
    int n = __atomic_load_n(&fg_num_threads, __ATOMIC_RELAXED);
    if (n == 0) {
        n = fg_default_threads();
        __atomic_store_n(&fg_num_threads, n, __ATOMIC_RELAXED);
    }
    return n;
}

/* ---- the pool ------------------------------------------------------------------------------ */

#define FG_MAX_WORKERS 63 /* beyond this, callers just get fewer threads */
#define FG_SPIN 2000      /* pause-polls (tens of microseconds at most) before sleeping */

typedef struct {
    pthread_mutex_t lock;     /* guards generation, n_parts, the job fields and n_workers */
    pthread_cond_t wake;      /* workers wait here for a new generation */
    pthread_cond_t done;      /* the caller waits here for parts_left == 0 */
    pthread_mutex_t owner;    /* held by the one caller using the pool */
    unsigned long generation; /* bumped for every job */
    int n_workers;            /* threads created so far */
    int n_parts;              /* the current job's parts, t = 0..n_parts-1 */
    int parts_left;           /* parts of the current job not yet finished */
    /* The next unclaimed part, tagged with its job's generation: (generation << 8) | t. A
     * part goes to whichever thread claims it first, so a worker the OS has not run yet
     * delays nothing: the caller, done with its own part, takes the worker's too. A worker
     * that wakes for a finished job finds the tag changed and claims nothing. */
    unsigned long claim;
    void (*fn)(void *, int, int);
    void *arg;
} fg_pool;

static fg_pool fg_the_pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                              PTHREAD_COND_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0,
                              NULL, NULL};
static pthread_once_t fg_atfork_once = PTHREAD_ONCE_INIT;

static void fg_pool_child_after_fork(void)
{
    /* The workers did not survive the fork; the locks may have been held by threads that no
     * longer exist. Start over (lazily). */
    fg_pool *p = &fg_the_pool;
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->owner, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    p->generation = 0;
    p->n_workers = 0;
    p->n_parts = 0;
    p->parts_left = 0;
    p->claim = 0;
}

static void fg_register_atfork(void)
{
    pthread_atfork(NULL, NULL, fg_pool_child_after_fork);
}

typedef struct { unsigned long generation; } fg_worker_start;

#define FG_PART_BITS 8 /* parts per job: at most FG_MAX_WORKERS + 1 = 64 < 2^8 */
#define FG_PART_MASK ((1UL << FG_PART_BITS) - 1)

/* The next part of job `generation` (of n), or -1 when all are claimed or the job is over. */
static int fg_claim_part(fg_pool *p, unsigned long generation, int n)
{
    unsigned long c = __atomic_load_n(&p->claim, __ATOMIC_ACQUIRE);
    do {
        if ((c & ~FG_PART_MASK) != generation << FG_PART_BITS || (int)(c & FG_PART_MASK) >= n)
            return -1;
    } while (!__atomic_compare_exchange_n(&p->claim, &c, c + 1, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return (int)(c & FG_PART_MASK);
}

/* Runs the parts of job `generation` this thread can claim; the last one to finish wakes the
 * caller. Part t always computes the same outputs the same way, whoever runs it: the bits do
 * not depend on which thread took which part. */
static void fg_run_parts(fg_pool *p, unsigned long generation, void (*fn)(void *, int, int),
                         void *arg, int n)
{
    int t;
    while ((t = fg_claim_part(p, generation, n)) >= 0) {
        fn(arg, t, n);
        if (__atomic_sub_fetch(&p->parts_left, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

static void *fg_worker_main(void *raw)
{
    fg_pool *p = &fg_the_pool;
    /* `seen` starts at the generation current when this worker was created (under the lock),
     * so a job posted before the thread first runs is not missed. */
    unsigned long seen = ((fg_worker_start *)raw)->generation;
    free(raw);
    for (;;) {
        /* Short bounded spin for the next job, then sleep. */
        for (int s = 0; s < FG_SPIN && __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE) == seen;
             s++) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        pthread_mutex_lock(&p->lock);
        while (p->generation == seen)
            pthread_cond_wait(&p->wake, &p->lock);
        seen = p->generation;
        void (*fn)(void *, int, int) = p->fn;
        void *arg = p->arg;
        const int n = p->n_parts;
        pthread_mutex_unlock(&p->lock);
        /* fn and arg stay valid while a part of this job is unclaimed or running: the caller
         * returns only once every part has finished, and a claim checks the generation. */
        fg_run_parts(p, seen, fn, arg, n);
    }
    return NULL;
}

int fg_parallel_run(int n, void (*fn)(void *, int, int), void *arg)
{
    fg_pool *p = &fg_the_pool;
    const int limit = fg_get_num_threads();
    if (n > limit)
        n = limit;
    if (n > FG_MAX_WORKERS + 1)
        n = FG_MAX_WORKERS + 1;
    if (n <= 1 || pthread_mutex_trylock(&p->owner) != 0) {
        fn(arg, 0, 1);
        return 1;
    }
    pthread_once(&fg_atfork_once, fg_register_atfork);

    pthread_mutex_lock(&p->lock);
    while (p->n_workers < n - 1) {
        pthread_t th;
        pthread_attr_t attr;
        fg_worker_start *start = malloc(sizeof *start);
        if (!start)
            break;
        start->generation = p->generation;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&th, &attr, fg_worker_main, start);
        pthread_attr_destroy(&attr);
        if (err) {
            free(start);
            break;
        }
        p->n_workers++;
    }
    if (n > p->n_workers + 1)
        n = p->n_workers + 1;
    if (n <= 1) {
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_unlock(&p->owner);
        fn(arg, 0, 1);
        return 1;
    }
    p->fn = fn;
    p->arg = arg;
    p->n_parts = n;
    p->parts_left = n;
    const unsigned long generation = p->generation + 1;
    /* Part 0 is the caller's before any worker can claim: with the same split from call to
     * call (one layer's rows, then the next layer's), a core keeps reading what it wrote. */
    __atomic_store_n(&p->claim, generation << FG_PART_BITS | 1, __ATOMIC_RELEASE);
    __atomic_store_n(&p->generation, generation, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);

    fn(arg, 0, n);
    __atomic_sub_fetch(&p->parts_left, 1, __ATOMIC_ACQ_REL);
    fg_run_parts(p, generation, fn, arg, n); /* then any part no worker has claimed yet */

    /* The workers usually finish within microseconds of this thread: poll before sleeping,
     * since a sleep and a wake-up through the kernel cost tens of microseconds on a VM. */
    for (int s = 0; s < FG_SPIN && __atomic_load_n(&p->parts_left, __ATOMIC_ACQUIRE) > 0; s++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    pthread_mutex_lock(&p->lock);
    while (__atomic_load_n(&p->parts_left, __ATOMIC_ACQUIRE) > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->owner);
    return n;
}

/* ---- per-thread scratch ---------------------------------------------------------------------- */

typedef struct {
    void *buf[2];
    size_t size[2];
} fg_scratch;

static pthread_key_t fg_scratch_key;
static pthread_once_t fg_scratch_once = PTHREAD_ONCE_INIT;

static void fg_scratch_free(void *raw)
{
    fg_scratch *s = raw;
    fg_aligned_free(s->buf[0]);
    fg_aligned_free(s->buf[1]);
    free(s);
}

static void fg_scratch_init(void)
{
    pthread_key_create(&fg_scratch_key, fg_scratch_free);
}

void *fg_thread_scratch(int slot, size_t bytes)
{
    pthread_once(&fg_scratch_once, fg_scratch_init);
    fg_scratch *s = pthread_getspecific(fg_scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(fg_scratch_key, s) != 0) {
            free(s);
            return NULL;
        }
    }
    if (s->size[slot] < bytes) {
        fg_aligned_free(s->buf[slot]);
        s->buf[slot] = fg_aligned_malloc(bytes);
        s->size[slot] = s->buf[slot] ? bytes : 0;
    }
    return s->buf[slot];
}
