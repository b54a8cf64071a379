/* gemm_dispatch.c: which GEMM micro-kernel and dot kernel run, chosen once from the CPU.
 *
 * The table below holds one entry per instruction set, best first. At first use the best entry
 * the CPU (and OS) supports is taken, unless FASTGRAD_ISA names a lower one; a request the CPU
 * cannot honour falls back to the best supported entry, and fg_isa_name reports what runs.
 * fg_set_isa switches at run time (tests run every path in one process). The pointer to the
 * active entry is the only global state here.
 *
 * Block sizes: the AVX-512 ones were chosen by measurement (docs/KERNEL-NOTES.md); deep K
 * slices (KC = 512) halve the reloads of C against BLIS's 384/256. KC is not free to change:
 * it sets where K is cut into slices that merge through C, so another KC changes the results'
 * bits for every K beyond the smaller of the two. The AVX2 ones are BLIS's Haswell values; the
 * portable ones keep the packed B panel near L2/2.
 */
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "fastgrad.h"
#include "cpu_features.h"

static const fg_gemm_isa fg_isas[] = {
#if defined(FG_HAVE_X86)
    {"avx512", fg_ukr_avx512_f32, fg_ukr_avx512_f64,
     {8, 32, 512, 192, 2048, 12}, {8, 16, 512, 192, 1024, 12}, fg_packt_avx512_f32, fg_packt_avx512_f64,
     fg_packa_avx512_f32, fg_packa_avx512_f64, fg_dot_avx512_f32, fg_dot_avx512_f64},
    {"avx2", fg_ukr_avx2_f32, fg_ukr_avx2_f64,
     {6, 16, 256, 144, 4080, 6}, {6, 8, 256, 72, 2040, 6}, fg_packt_avx2_f32, fg_packt_avx2_f64,
     NULL, NULL, fg_dot_avx2_f32, fg_dot_avx2_f64},
#endif
    {"generic", fg_ukr_generic_f32, fg_ukr_generic_f64,
     {4, 8, 256, 128, 2048, 4}, {4, 4, 256, 128, 1024, 4}, NULL, NULL, NULL, NULL, fg_dot_generic_f32,
     fg_dot_generic_f64},
};
#define FG_N_ISAS ((int)(sizeof fg_isas / sizeof fg_isas[0]))

static const fg_gemm_isa *fg_active = NULL;
static pthread_once_t fg_once = PTHREAD_ONCE_INIT;

static int fg_cpu_has(const char *name)
{
    if (strcmp(name, "avx512") == 0) /* the kernels' file is compiled with F, BW, VL, DQ */
        return fg_cpu_has_avx512();
    if (strcmp(name, "avx2") == 0)
        return fg_cpu_has_avx2_fma();
    return strcmp(name, "generic") == 0;
}

/* The entry for `name` if the CPU runs it; with `at_most`, the best supported entry not above
 * it (unknown names give the best supported one). */
static const fg_gemm_isa *fg_find(const char *name, int at_most)
{
    int want = 0;
    for (int i = 0; name && i < FG_N_ISAS; i++)
        if (strcmp(name, fg_isas[i].name) == 0)
            want = i;
    if (name && !at_most)
        return want < FG_N_ISAS && strcmp(name, fg_isas[want].name) == 0
            && fg_cpu_has(name) ? &fg_isas[want] : NULL;
    for (int i = want; i < FG_N_ISAS; i++)
        if (fg_cpu_has(fg_isas[i].name))
            return &fg_isas[i];
    return &fg_isas[FG_N_ISAS - 1];
}

static void fg_choose(void)
{
    const char *env = getenv("FASTGRAD_ISA");
    __atomic_store_n(&fg_active, fg_find(env && *env ? env : NULL, 1), __ATOMIC_RELEASE);
}

const fg_gemm_isa *fg_gemm_active(void)
{
    pthread_once(&fg_once, fg_choose);
    return __atomic_load_n(&fg_active, __ATOMIC_ACQUIRE);
}

const char *fg_isa_name(void)
{
    return fg_gemm_active()->name;
}

int fg_set_isa(const char *name)
{
    fg_gemm_active();
    const fg_gemm_isa *isa = fg_find(name, 0);
    if (!isa)
        return 0;
    __atomic_store_n(&fg_active, isa, __ATOMIC_RELEASE);
    return 1;
}

void fg_gemm_blocking(int itemsize, fg_idx out[6])
{
    const fg_gemm_isa *isa = fg_gemm_active();
    const fg_blocking *b = itemsize == 4 ? &isa->blk_f32 : &isa->blk_f64;
    out[0] = b->mr;
    out[1] = b->nr;
    out[2] = b->kc;
    out[3] = b->mc;
    out[4] = b->nc;
    out[5] = b->mr_direct;
}
