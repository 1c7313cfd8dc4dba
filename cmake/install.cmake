# SPDX-License-Identifier: MIT
# Headers, both libraries, a CMake package (tpsync::tpsync), tpsync.pc and
# tpsync-static.pc. Components: `runtime` (the shared library, what a
# program needs to run) and `dev` (everything needed to build against it);
# the Debian packages in cmake/package.cmake are made of them.
install(DIRECTORY include/tpsync DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/tpsync/config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tpsync COMPONENT dev)
install(TARGETS tpsync tpsync_static EXPORT tpsyncTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# The debug variant (tpsync::tpsync_debug, tpsync-debug.pc): see lib/CMakeLists.txt.
# It ships with the shared library (the CMake package in `dev` names both).
install(TARGETS tpsync_debug EXPORT tpsyncTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(_tps_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/tpsync)
install(EXPORT tpsyncTargets NAMESPACE tpsync:: DESTINATION ${_tps_cmakedir} COMPONENT dev)
configure_package_config_file(cmake/tpsyncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tpsyncConfig.cmake INSTALL_DESTINATION ${_tps_cmakedir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tpsyncConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tpsyncConfig.cmake
              ${PROJECT_BINARY_DIR}/tpsyncConfigVersion.cmake
        DESTINATION ${_tps_cmakedir} COMPONENT dev)

# Relocatable: the prefix is found from the .pc file's own directory.
# tpsync.pc links the shared library. `pkg-config --static` can only append
# Libs.private after `-ltpsync`, which the linker resolves to libtpsync.so,
# so static linking has a module of its own: tpsync-static.pc names the
# archive itself.
file(RELATIVE_PATH TPSYNC_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
foreach(_pc tpsync tpsync-static)
  configure_file(cmake/${_pc}.pc.in ${PROJECT_BINARY_DIR}/${_pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${_pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()
configure_file(cmake/tpsync-debug.pc.in ${PROJECT_BINARY_DIR}/tpsync-debug.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tpsync-debug.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Everything installed must be built: `tpsync_installable` builds it (the
# default target does too), and the check below, run before the first file
# is installed, stops an install from a tree where something is missing
# (say, after building only tpsync-bench) with an error instead of
# installing half of it. Another installed target or file joins it with
# add_dependencies(tpsync_installable TARGET) and a
# `set_property(GLOBAL APPEND PROPERTY TPSYNC_INSTALLED_FILES FILE)`.
add_custom_target(tpsync_installable)
add_dependencies(tpsync_installable tpsync tpsync_static tpsync_debug)
set_property(GLOBAL APPEND PROPERTY TPSYNC_INSTALLED_FILES
             $<TARGET_FILE:tpsync> $<TARGET_FILE:tpsync_static> $<TARGET_FILE:tpsync_debug>)
# The liburcu adapter (tpsync-urcu), when it is built: a component and an
# export set of its own, so that the core packages never depend on liburcu;
# tpsyncConfig.cmake includes its targets when they are installed.
if(TARGET tpsync_urcu)
  install(TARGETS tpsync_urcu EXPORT tpsyncUrcuTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT urcu NAMELINK_COMPONENT urcu
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT urcu
          INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT tpsyncUrcuTargets NAMESPACE tpsync:: DESTINATION ${_tps_cmakedir}
          COMPONENT urcu)
  configure_file(cmake/tpsync-urcu.pc.in ${PROJECT_BINARY_DIR}/tpsync-urcu.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/tpsync-urcu.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT urcu)
  add_dependencies(tpsync_installable tpsync_urcu)
  set_property(GLOBAL APPEND PROPERTY TPSYNC_INSTALLED_FILES $<TARGET_FILE:tpsync_urcu>)
endif()
get_property(_tps_installed GLOBAL PROPERTY TPSYNC_INSTALLED_FILES)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/tpsync-install-check.cmake CONTENT "\
set(_tps_missing)
foreach(_f ${_tps_installed})
  if(NOT EXISTS \"\${_f}\")
    list(APPEND _tps_missing \"\${_f}\")
  endif()
endforeach()
if(_tps_missing)
  list(JOIN _tps_missing \"\\n  \" _tps_missing)
  message(FATAL_ERROR \"tpsync: not built yet, nothing installed:\\n  \${_tps_missing}\\n\"
    \"Build the default target first (cmake --build ${PROJECT_BINARY_DIR}), \"
    \"or at least --target tpsync_installable.\")
endif()
")
