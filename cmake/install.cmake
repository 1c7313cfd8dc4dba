# SPDX-License-Identifier: MIT
# Headers, both libraries, a CMake package (tpsync::tpsync) and tpsync.pc.
install(DIRECTORY include/tpsync DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/tpsync/config.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tpsync)
set(_tps_install_targets tpsync tpsync_static)
if(TARGET tpsync_urcu)
  list(APPEND _tps_install_targets tpsync_urcu)
endif()
install(TARGETS ${_tps_install_targets} EXPORT tpsyncTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(_tps_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/tpsync)
install(EXPORT tpsyncTargets NAMESPACE tpsync:: DESTINATION ${_tps_cmakedir})
configure_package_config_file(cmake/tpsyncConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tpsyncConfig.cmake INSTALL_DESTINATION ${_tps_cmakedir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tpsyncConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tpsyncConfig.cmake
              ${PROJECT_BINARY_DIR}/tpsyncConfigVersion.cmake
        DESTINATION ${_tps_cmakedir})

# Relocatable: the prefix is found from the .pc file's own directory.
file(RELATIVE_PATH TPSYNC_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(cmake/tpsync.pc.in ${PROJECT_BINARY_DIR}/tpsync.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tpsync.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The liburcu adapter's own .pc, when it is built.
if(TARGET tpsync_urcu)
  configure_file(cmake/tpsync-urcu.pc.in ${PROJECT_BINARY_DIR}/tpsync-urcu.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/tpsync-urcu.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
