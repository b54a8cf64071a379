/* cpu_features.c: instruction-set checks from cpuid and XCR0 (see cpu_features.h).
 *
 * An instruction set is usable only when the CPU reports it (cpuid) and the OS saves its
 * registers on a context switch (XCR0, read with xgetbv when cpuid says OSXSAVE). */
#include "cpu_features.h"

#if defined(FG_HAVE_X86) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>

/* XCR0: which register states the OS saves. Bits 1-2: SSE and AVX (YMM); 5-7: AVX-512. */
static unsigned long long fg_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

/* Leaf 1 ECX and leaf 7 (sub-leaf 0) EBX; zero where a leaf does not exist. */
static void fg_cpuid_bits(unsigned int *ecx1, unsigned int *ebx7, int *os_ymm, int *os_zmm)
{
    unsigned int a, b, c, d;
    *ecx1 = *ebx7 = 0;
    *os_ymm = *os_zmm = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    *ecx1 = c;
    if (c & (1u << 27)) { /* OSXSAVE: xgetbv is available */
        unsigned long long xcr0 = fg_xcr0();
        *os_ymm = (xcr0 & 0x6) == 0x6;
        *os_zmm = *os_ymm && (xcr0 & 0xe0) == 0xe0;
    }
    if (__get_cpuid_max(0, 0) >= 7 && __get_cpuid_count(7, 0, &a, &b, &c, &d))
        *ebx7 = b;
}

int fg_cpu_has_avx2_fma(void)
{
    unsigned int ecx1, ebx7;
    int os_ymm, os_zmm;
    fg_cpuid_bits(&ecx1, &ebx7, &os_ymm, &os_zmm);
    const int avx = (ecx1 >> 28) & 1, fma = (ecx1 >> 12) & 1, avx2 = (ebx7 >> 5) & 1;
    return os_ymm && avx && fma && avx2;
}

int fg_cpu_has_avx512(void)
{
    unsigned int ecx1, ebx7;
    int os_ymm, os_zmm;
    fg_cpuid_bits(&ecx1, &ebx7, &os_ymm, &os_zmm);
    const int f = (ebx7 >> 16) & 1, dq = (ebx7 >> 17) & 1, bw = (ebx7 >> 30) & 1,
              vl = (ebx7 >> 31) & 1;
    return os_zmm && f && dq && bw && vl && fg_cpu_has_avx2_fma();
}

#else

int fg_cpu_has_avx2_fma(void) { return 0; }
int fg_cpu_has_avx512(void) { return 0; }

#endif
