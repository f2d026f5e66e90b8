/*
 * neon_level.h - naming for the AArch64 level files, each compiled once per NEON level (CMakeLists.txt): the build
 * defines MOE_NEON_LEVEL as neon, neon_dotprod or neon_i8mm, and MOE_NEON_NAME(x) appends it, so the three copies of
 * a file define moe_q8_kernels_neon, moe_q8_kernels_neon_dotprod and moe_q8_kernels_neon_i8mm (and so on) side by side.
 * Inside a file, __ARM_FEATURE_DOTPROD and __ARM_FEATURE_MATMUL_INT8 (set by -march) choose the instructions.
 */
#ifndef MOE4J_NEON_LEVEL_H
#define MOE4J_NEON_LEVEL_H

#ifndef MOE_NEON_LEVEL
#error "MOE_NEON_LEVEL must be defined (neon, neon_dotprod or neon_i8mm): see CMakeLists.txt"
#endif

#define MOE_NEON_CAT_(a, b) a##_##b
#define MOE_NEON_CAT(a, b) MOE_NEON_CAT_(a, b)
#define MOE_NEON_NAME(name) MOE_NEON_CAT(name, MOE_NEON_LEVEL)

#endif /* MOE4J_NEON_LEVEL_H */
