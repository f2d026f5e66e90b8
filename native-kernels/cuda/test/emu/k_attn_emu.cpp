/* k_attn.cu compiled for the CPU emulation (see emu_device.h). */
#include "k_attn.cu"
