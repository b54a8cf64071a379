/* cpu_features.h: what the CPU and the operating system let this process run, read with cpuid.
 *
 * cpuid rather than __builtin_cpu_supports: the builtin needs a runtime symbol (__cpu_model)
 * that only some toolchains supply, and the release wheels are built with a cross compiler
 * whose runtime lacks it (tools/build_wheels.sh). */
#ifndef FG_CPU_FEATURES_H
#define FG_CPU_FEATURES_H

/* AVX2 and FMA, with the YMM state enabled by the OS. */
int fg_cpu_has_avx2_fma(void);
/* AVX-512 F, BW, VL and DQ plus AVX2 and FMA, with the ZMM state enabled by the OS. */
int fg_cpu_has_avx512(void);

#endif
