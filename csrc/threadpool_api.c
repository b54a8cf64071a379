/* threadpool_api.c: the thread count as plain C symbols exported from the extension module, so
 * that threadpoolctl (which loads each library with ctypes and calls C functions, not Python)
 * can read and limit fastgrad's pool like it does OpenBLAS's or OpenMP's. The controller that
 * calls them is fastgrad/_threadpool.py. Everything else in the module stays hidden. */
#include "fastgrad.h"

#if defined(__GNUC__) || defined(__clang__)
#define FG_EXPORT __attribute__((visibility("default")))
#else
#define FG_EXPORT
#endif

FG_EXPORT int fastgrad_threadpool_get_num_threads(void)
{
    return fg_get_num_threads();
}

/* Values below 1 mean 1, as threadpoolctl never asks for fewer. */
FG_EXPORT void fastgrad_threadpool_set_num_threads(int n)
{
    fg_set_num_threads(n >= 1 ? n : 1);
}
