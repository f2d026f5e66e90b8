/* placeholder: replaced by the kernel work in progress */
typedef int moe_placeholder_kernels_scalar;
