# SPDX-License-Identifier: MIT
# Doxygen's MAN_LINKS makes a page for every struct member too (next.3,
# name.3, barrier.3 ...): names that belong to no one. Keep the pages of
# the public names (tps_, TPS_, TPSYNC_) and of the headers, and give the
# header pages a tpsync_ prefix (rcu.h.3 becomes tpsync_rcu.h.3: `man
# tpsync_rcu.h`), rewriting the links that point to them.
# Usage: cmake -DMANDIR=DIR -P man-prune.cmake
file(GLOB _pages "${MANDIR}/*.3")
set(_headers)
foreach(_p ${_pages})
  get_filename_component(_n "${_p}" NAME)
  if(_n MATCHES "\\.h\\.3$")
    list(APPEND _headers "${_n}")
    file(RENAME "${_p}" "${MANDIR}/tpsync_${_n}")
  elseif(NOT _n MATCHES "^(tps_|TPS_|TPSYNC_)")
    file(REMOVE "${_p}")
  endif()
endforeach()
file(GLOB _pages "${MANDIR}/*.3")
foreach(_p ${_pages})
  file(READ "${_p}" _text)
  if(_text MATCHES "^\\.so man3/")
    foreach(_h ${_headers})
      string(REPLACE ".so man3/${_h}" ".so man3/tpsync_${_h}" _text "${_text}")
    endforeach()
    file(WRITE "${_p}" "${_text}")
  endif()
endforeach()
