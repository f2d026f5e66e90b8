/*
 * cpu.c - which dispatch level this CPU and operating system can run.
 *
 * The feature bits come from cpuid; xgetbv tells whether the OS saves the AVX (ymm) and AVX-512 (opmask, zmm) register
 * state on context switches - without that, using those registers would be unsafe even on a CPU that has them.
 * On AArch64 the kernel's hardware capability words (or macOS's sysctl) tell whether SDOT and SMMLA may be used.
 */
#include <stdatomic.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* cpuid leaf 1, ECX */
#define ECX1_FMA (1u << 12)
#define ECX1_OSXSAVE (1u << 27)
#define ECX1_AVX (1u << 28)
#define ECX1_F16C (1u << 29)
/* cpuid leaf 7 subleaf 0, EBX / ECX */
#define EBX7_AVX2 (1u << 5)
#define EBX7_BMI2 (1u << 8)
#define EBX7_AVX512F (1u << 16)
#define EBX7_AVX512DQ (1u << 17)
#define EBX7_AVX512BW (1u << 30)
#define EBX7_AVX512VL (1u << 31)
#define ECX7_AVX512VNNI (1u << 11)
/* cpuid leaf 7 subleaf 1, EAX */
#define EAX71_AVX512BF16 (1u << 5)
/* XCR0: x87|SSE|AVX state, and AVX-512 opmask|ZMM_Hi256|Hi16_ZMM state */
#define XCR0_AVX_STATE 0x6u
#define XCR0_AVX512_STATE 0xE0u

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return MOE_CPU_SCALAR;
    }
    const unsigned ecx1 = c;
    if ((ecx1 & ECX1_OSXSAVE) == 0 || (ecx1 & ECX1_AVX) == 0) {
        return MOE_CPU_SCALAR;
    }
    const uint64_t xcr0 = read_xcr0();
    if ((xcr0 & XCR0_AVX_STATE) != XCR0_AVX_STATE) {
        return MOE_CPU_SCALAR;
    }
    if (__get_cpuid_max(0, 0) < 7) {
        return MOE_CPU_SCALAR;
    }
    __cpuid_count(7, 0, a, b, c, d);
    const unsigned ebx7 = b, ecx7 = c, max_sub7 = a;
    const int avx2 = (ebx7 & EBX7_AVX2) && (ebx7 & EBX7_BMI2) && (ecx1 & ECX1_FMA) && (ecx1 & ECX1_F16C);
    if (!avx2) {
        return MOE_CPU_SCALAR;
    }
    unsigned eax71 = 0;
    if (max_sub7 >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        eax71 = a;
    }
    const unsigned need7 = EBX7_AVX512F | EBX7_AVX512DQ | EBX7_AVX512BW | EBX7_AVX512VL;
    const int avx512 = (ebx7 & need7) == need7 && (ecx7 & ECX7_AVX512VNNI) && (eax71 & EAX71_AVX512BF16) &&
                       (xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE;
    return avx512 ? MOE_CPU_AVX512 : MOE_CPU_AVX2;
}
#elif defined(__aarch64__) || defined(_M_ARM64)
/* Advanced SIMD is part of every AArch64 CPU; dotprod and i8mm are optional extensions the OS reports. */
#if defined(__linux__)
#include <sys/auxv.h>
#define MOE_HWCAP_ASIMDDP (1ul << 20) /* Linux uapi asm/hwcap.h: HWCAP_ASIMDDP */
#define MOE_HWCAP2_I8MM (1ul << 13)   /* HWCAP2_I8MM */
static int detect_level(void) {
    const unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    if ((hw & MOE_HWCAP_ASIMDDP) == 0) {
        return MOE_CPU_NEON;
    }
    return (hw2 & MOE_HWCAP2_I8MM) != 0 ? MOE_CPU_NEON_I8MM : MOE_CPU_NEON_DOTPROD;
}
#elif defined(__APPLE__)
#include <sys/sysctl.h>
static int has_feature(const char *name) {
    int value = 0;
    size_t size = sizeof(value);
    return sysctlbyname(name, &value, &size, NULL, 0) == 0 && value != 0;
}
static int detect_level(void) {
    if (!has_feature("hw.optional.arm.FEAT_DotProd")) {
        return MOE_CPU_NEON;
    }
    return has_feature("hw.optional.arm.FEAT_I8MM") ? MOE_CPU_NEON_I8MM : MOE_CPU_NEON_DOTPROD;
}
#else
static int detect_level(void) {
    return MOE_CPU_NEON; /* an OS we cannot ask about extensions: the baseline every AArch64 CPU has */
}
#endif
#else
static int detect_level(void) {
    return MOE_CPU_SCALAR;
}
#endif

/* The lowest non-scalar level of the architecture this library was built for (0 when it has none). */
#if defined(__x86_64__) || defined(__i386__)
#define ARCH_FIRST_LEVEL MOE_CPU_AVX2
#elif defined(__aarch64__) || defined(_M_ARM64)
#define ARCH_FIRST_LEVEL MOE_CPU_NEON
#else
#define ARCH_FIRST_LEVEL MOE_CPU_LEVELS
#endif

int moe_cpu_detect(void) {
    /* cpuid is cheap but not free; the answer never changes, and racing first callers compute the same value. */
    static atomic_int cached = -1;
    int level = atomic_load_explicit(&cached, memory_order_relaxed);
    if (level < 0) {
        level = detect_level();
        atomic_store_explicit(&cached, level, memory_order_relaxed);
    }
    return level;
}

int moe_cpu_supports(int level) {
    if (level == MOE_CPU_SCALAR) {
        return 1;
    }
    return level >= ARCH_FIRST_LEVEL && level < MOE_CPU_LEVELS && level <= moe_cpu_detect();
}

const char *moe_cpu_level_name(int level) {
    switch (level) {
    case MOE_CPU_SCALAR:
        return "scalar";
    case MOE_CPU_AVX2:
        return "avx2";
    case MOE_CPU_AVX512:
        return "avx512";
    case MOE_CPU_NEON:
        return "neon";
    case MOE_CPU_NEON_DOTPROD:
        return "neon_dotprod";
    case MOE_CPU_NEON_I8MM:
        return "neon_i8mm";
    default:
        return "unknown";
    }
}
