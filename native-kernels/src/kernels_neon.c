/* PLACEHOLDER (being replaced): the scalar f32 kernels under the NEON table names. */
#include "neon_level.h"
#define moe_kernels_scalar MOE_NEON_NAME(moe_kernels)
#include "kernels_scalar.c"
