/* PLACEHOLDER (being replaced by NEON code): the scalar products under the NEON table names, the i-quants from
 * q8_neon_iq.c. */
#include "q8_neon.h"
#define moe_q8_kernels_scalar MOE_NEON_NAME(moe_q8_kernels_unused)
#include "q8_scalar.c"
#undef moe_q8_kernels_scalar
const moe_q8_kernels MOE_NEON_NAME(moe_q8_kernels) = {
    .quantize = {quantize_q8s, quantize_q8k},
    .dot =
        {
            MOE_Q8_ROW(Q4_0, q4_0), MOE_Q8_ROW(Q4_1, q4_1), MOE_Q8_ROW(Q5_0, q5_0), MOE_Q8_ROW(Q5_1, q5_1),
            MOE_Q8_ROW(Q8_0, q8_0), MOE_Q8_ROW(Q2_K, q2_k), MOE_Q8_ROW(Q3_K, q3_k), MOE_Q8_ROW(Q4_K, q4_k),
            MOE_Q8_ROW(Q5_K, q5_k), MOE_Q8_ROW(Q6_K, q6_k), MOE_Q8_ROW(IQ4_NL, iq4_nl), MOE_Q8_ROW(IQ4_XS, iq4_xs),
            [MOE_T_IQ2_XXS] = MOE_NEON_NAME(moe_q8neon_iq2_xxs), [MOE_T_IQ2_XS] = MOE_NEON_NAME(moe_q8neon_iq2_xs),
            [MOE_T_IQ2_S] = MOE_NEON_NAME(moe_q8neon_iq2_s), [MOE_T_IQ3_XXS] = MOE_NEON_NAME(moe_q8neon_iq3_xxs),
            [MOE_T_IQ3_S] = MOE_NEON_NAME(moe_q8neon_iq3_s), [MOE_T_IQ1_S] = MOE_NEON_NAME(moe_q8neon_iq1_s),
            [MOE_T_IQ1_M] = MOE_NEON_NAME(moe_q8neon_iq1_m), [MOE_T_TQ1_0] = MOE_NEON_NAME(moe_q8neon_tq1_0),
            [MOE_T_TQ2_0] = MOE_NEON_NAME(moe_q8neon_tq2_0), MOE_Q8_ROW(MXFP4, mxfp4),
        },
    .dot_max = Q8_NEON_DOT_MAX,
};
