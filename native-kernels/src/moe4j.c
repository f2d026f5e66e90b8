/* placeholder so the skeleton links; the real implementation replaces this file */
#include "moe4j.h"
const char *moe_status_str(int s) { return s == 0 ? "ok" : "error"; }
int moe_abi_version(void) { return MOE_ABI_VERSION; }
int moe_cpu_detect(void) { return MOE_CPU_SCALAR; }
