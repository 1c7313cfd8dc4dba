# SPDX-License-Identifier: MIT
# TPSYNC_SANITIZE=address,undefined or thread: applied to every target.
if(TPSYNC_SANITIZE)
  set(_tps_san -fsanitize=${TPSYNC_SANITIZE} -fno-omit-frame-pointer)
  if(TPSYNC_SANITIZE MATCHES "undefined")
    list(APPEND _tps_san -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_tps_san})
  add_link_options(${_tps_san})
endif()
