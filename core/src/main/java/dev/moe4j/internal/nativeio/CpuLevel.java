package dev.moe4j.internal.nativeio;

import java.util.Locale;

/** Kernel dispatch levels, in the order of {@code MOE_CPU_*} in moe4j.h. */
public enum CpuLevel {
    SCALAR, AVX2, AVX512;

    /** System property that caps the level every new {@link KernelContext} uses: {@code scalar}, {@code avx2}, {@code avx512}. */
    public static final String PROPERTY = "moe4j.cpu.level";

    /** The best level this machine runs. */
    public static CpuLevel detected() {
        return values()[NativeKernels.cpuDetect()];
    }

    /** {@link #detected()}, lowered to {@value #PROPERTY} when that is set. */
    public static CpuLevel configured() {
        CpuLevel best = detected();
        String forced = System.getProperty(PROPERTY);
        if (forced == null || forced.isBlank()) {
            return best;
        }
        CpuLevel want = parse(forced);
        return want.ordinal() < best.ordinal() ? want : best;
    }

    public static CpuLevel parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown CPU level '" + name + "' (scalar, avx2 or avx512)", e);
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
