#include "moe4j.h"
/* placeholder */
typedef int moe_placeholder_ops;
