/* gemm_tiles.c: the GEMM's two tile paths, fg_gemm_tiles_* (fastgrad.h).
 *
 *  - direct, for small and medium products (M <= 256, or B within L2): every MR x NR tile
 *    runs over all of K reading A in place, and B in place too when its rows are unit-stride
 *    (else B is packed: a column panel at a time, just before its tiles, when A fits in L2,
 *    else whole); packing A would cost more than it saves here;
 *  - packed, GotoBLAS/BLIS style, for large ones: KC x NC panels of B and MC x KC blocks of A
 *    copied into the micro-kernel's order, so it streams both at unit stride from cache. The
 *    copies follow the source's unit stride: a row-major B row by row, a transposed A k by
 *    k, and a transposed B or row-major A by the ISA's in-register transposes.
 * The micro-kernel (MR x NR register tile, bias + ReLU + beta merge applied in registers)
 * comes from the dispatch table (gemm_dispatch.c). Each element is accumulated one k at a
 * time in order within a K slice, slices merged in order; slicing depends only on the shape,
 * and threads split C's rows or columns into whole tiles, so results are bit-identical for
 * every thread count.
 */
#include "fastgrad.h"

#define FG_IMPL "gemm_tiles_impl.h"
#include "dtype.h"
