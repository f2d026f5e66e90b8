/* k_gemm.cu compiled for the CPU emulation (see emu_device.h). */
#include "k_gemm.cu"
