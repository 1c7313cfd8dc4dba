# SPDX-License-Identifier: MIT
# Warning flags for every target of this project; errors when TPSYNC_WERROR.
set(TPSYNC_WARNING_FLAGS
    -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wpointer-arith -Wcast-align -Wwrite-strings -Wundef -Wvla)
if(TPSYNC_WERROR)
  list(APPEND TPSYNC_WARNING_FLAGS -Werror)
endif()
add_compile_options(${TPSYNC_WARNING_FLAGS})
