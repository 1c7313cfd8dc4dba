# SPDX-License-Identifier: MIT
# Doxygen's MAN_LINKS makes a page for every struct member too (next.3,
# name.3, barrier.3 ...): names that belong to no one. Keep the pages of
# the headers and of the public names (tps_, TPS_, TPSYNC_).
# Usage: cmake -DMANDIR=DIR -P man-prune.cmake
file(GLOB _pages "${MANDIR}/*.3")
foreach(_p ${_pages})
  get_filename_component(_n "${_p}" NAME)
  if(NOT _n MATCHES "^(tps_|TPS_|TPSYNC_)" AND NOT _n MATCHES "\\.h\\.3$")
    file(REMOVE "${_p}")
  endif()
endforeach()
