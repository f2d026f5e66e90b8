#include "moe4j.h"
int main(void) { return moe_abi_version() == MOE_ABI_VERSION ? 0 : 1; }
