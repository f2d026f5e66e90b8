/* Minimal self-test (the full one follows): contexts, statuses, type geometry, scalar Q4_0 dequantize. */
#include <stdio.h>
#include <string.h>
#include "moe4j.h"

int main(void) {
    moe_ctx *ctx = NULL;
    if (moe_abi_version() != MOE_ABI_VERSION) return 1;
    if (moe_ctx_create(-1, 2, &ctx) != MOE_OK || moe_ctx_threads(ctx) != 2) return 2;
    int64_t be, bb;
    if (moe_type_block(2, &be, &bb) != MOE_OK || be != 32 || bb != 18) return 3;
    if (moe_type_block(9, &be, &bb) != MOE_ERR_UNSUPPORTED_TYPE) return 4;
    unsigned char blk[18] = {0x00, 0x3c}; /* d = 1.0 */
    for (int j = 0; j < 16; j++) blk[2 + j] = (unsigned char)(j | ((15 - j) << 4));
    float out[32];
    if (moe_tensor_dequantize(ctx, 2, blk, 32, out) != MOE_OK) return 5;
    for (int j = 0; j < 16; j++) if (out[j] != (float)(j - 8) || out[j + 16] != (float)(7 - j)) return 6;
    printf("level %s\n", moe_cpu_level_name(moe_ctx_level(ctx)));
    moe_ctx_destroy(ctx);
    return 0;
}
