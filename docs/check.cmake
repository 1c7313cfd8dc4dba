# SPDX-License-Identifier: MIT
# The `docs` test: run Doxygen from scratch; any warning (an undocumented
# public item, a malformed comment) fails it, and so does a missing man page
# of a public function or of a public header. Doxygen checks the items of
# documented files only: a header whose opening comment is not a `/** @file`
# one would drop out of the reference, with every function in it, silently.
# Usage: cmake -DDOXYGEN=EXE -DDOXYFILE=FILE -DOUT=DIR -DHEADERS=DIR -P check.cmake
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${DOXYGEN}" "${DOXYFILE}" RESULT_VARIABLE _rc
                OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0 OR NOT _err STREQUAL "")
  message(FATAL_ERROR "docs: doxygen failed (${_rc}):\n${_out}${_err}")
endif()
foreach(_page tps_synchronize_rcu tps_srcu_read_lock tps_rcu_read_lock_trace
        tps_synchronize_qsbr tps_synchronize_rcu_tasks tps_tracepoint_probe_register
        TPS_TRACEPOINT_DECLARE)
  if(NOT EXISTS "${OUT}/man/man3/${_page}.3")
    message(FATAL_ERROR "docs: no man page ${_page}.3")
  endif()
endforeach()
file(GLOB _headers RELATIVE "${HEADERS}" "${HEADERS}/*.h")
if(NOT _headers)
  message(FATAL_ERROR "docs: no header in ${HEADERS}")
endif()
foreach(_h ${_headers})
  if(NOT EXISTS "${OUT}/man/man3/${_h}.3")
    message(FATAL_ERROR "docs: no man page for tpsync/${_h}: does it open with /** @file?")
  endif()
endforeach()
message(STATUS "docs: no warning")
