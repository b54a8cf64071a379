/* dtype.h: write a kernel body once, get it for float (_f32) and double (_f64).
 *
 * A kernel file defines FG_IMPL as the name of its body header, then includes this file:
 *
 *     #define FG_IMPL "gemm_impl.h"
 *     #include "dtype.h"
 *
 * The body header is included twice. Inside it:
 *   T           the element type (float or double);
 *   FG_NAME(fn) appends the type suffix: FG_NAME(fg_gemm) is fg_gemm_f32 or fg_gemm_f64 (static
 *               helpers need it too, or the second instantiation would redefine them);
 *   FG_M(fn)    the C math function for T: FG_M(exp) is expf or exp. Float kernels stay in float
 *               math, as PyTorch's float kernels do, so float32 is not silently promoted.
 */
#ifndef FG_IMPL
#error "define FG_IMPL (the body header to instantiate) before including dtype.h"
#endif

#define FG_CAT_(a, b) a##_##b
#define FG_CAT(a, b) FG_CAT_(a, b)
#define FG_NAME(fn) FG_CAT(fn, FG_SUFFIX)

/* ---- float ---- */
#define T float
#define FG_SUFFIX f32
#define FG_M(fn) fn##f
#include FG_IMPL
#undef T
#undef FG_SUFFIX
#undef FG_M

/* ---- double ---- */
#define T double
#define FG_SUFFIX f64
#define FG_M(fn) fn
#include FG_IMPL
#undef T
#undef FG_SUFFIX
#undef FG_M

#undef FG_IMPL
