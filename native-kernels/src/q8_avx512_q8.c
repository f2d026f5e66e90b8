/*
 * q8_avx512_q8.c - the AVX-512 8-bit-activation products of Q8_0, IQ4_NL and MXFP4 (DEFINE_SMALL, q8_avx512_small.h).
 */
#include "q8_avx512_small.h"

DEFINE_SMALL(q8_0, BYTES_Q8_0, 7, 0, 0)
DEFINE_SMALL(iq4_nl, BYTES_IQ4_NL, 7, 0, 0)
DEFINE_SMALL(mxfp4, BYTES_MXFP4, 7, 0, 1)
