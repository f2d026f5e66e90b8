/* k_ops.cu compiled for the CPU emulation (see emu_device.h). */
#include "k_ops.cu"
