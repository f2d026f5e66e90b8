/* k_matvec.cu compiled for the CPU emulation (see emu_device.h). */
#include "k_matvec.cu"
