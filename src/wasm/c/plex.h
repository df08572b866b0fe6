/* The kernels here use the C SDK's header: one definition of the ABI (sdks/c/plex.h). */
#include "../../../sdks/c/plex.h"
