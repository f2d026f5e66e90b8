/*
 * q8_avx512_q4q5.c - the AVX-512 8-bit-activation products of Q4_0, Q4_1, Q5_0 and Q5_1 (DEFINE_SMALL, q8_avx512_small.h).
 */
#include "q8_avx512_small.h"

DEFINE_SMALL(q4_0, BYTES_Q4_0, 3, 0, 0)
DEFINE_SMALL(q4_1, BYTES_Q4_1, -1, 1, 0)
DEFINE_SMALL(q5_0, BYTES_Q5_0, 4, 0, 0)
DEFINE_SMALL(q5_1, BYTES_Q5_1, -1, 1, 0)
