/* cuda_bf16.h for the CPU emulation (see emu_device.h): shadows the toolkit's header when MOE_CUDA_EMULATION is built. */
#include "emu_device.h"
