/* gemm_dispatch.c: which GEMM implementation runs. Only the portable C path exists so far; the
 * run-time table choosing AVX2/AVX-512 micro-kernels goes here. */
#include "fastgrad.h"

const char *fg_isa_name(void)
{
    return "generic";
}
