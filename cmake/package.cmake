# SPDX-License-Identifier: MIT
# Debian packages, one per install component (cmake/install.cmake):
#   libtpsync0     runtime  the shared library and its debug variant
#                           (libtpsync-debug.so.0: the same ABI, with the
#                           model's rules checked)
#   libtpsync-urcu-dev urcu the liburcu adapter library, its .pc and CMake
#                           targets (built when liburcu is found)
#   libtpsync-dev  dev      headers, libtpsync.so, libtpsync-debug.so,
#                           libtpsync.a, the CMake package, tpsync.pc,
#                           tpsync-static.pc and tpsync-debug.pc, man pages
#                           and the HTML reference
# `cpack -G DEB --config BUILD/CPackConfig.cmake -B DIR` from a complete
# build (the default target) writes them into DIR (without -B, into the
# current directory); they install under /usr.
#
# Another library variant gets a package the same way: install it with a
# component of its own, name the component in CPACK_COMPONENTS_ALL, and give
# it a CPACK_DEBIAN_<COMPONENT>_PACKAGE_NAME, _SECTION and description below,
# with libtpsync-dev depending on it if its CMake package or .pc file is in
# -dev.
set(CPACK_PACKAGE_NAME tpsync)
set(CPACK_PACKAGE_VENDOR tpsync)
set(CPACK_PACKAGE_CONTACT "tpsync maintainers <tpsync@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "The Linux kernel's RCU and tracepoint synchronization model in userspace")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
if(TARGET tpsync_urcu)
  list(APPEND CPACK_COMPONENTS_ALL urcu)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Depends of each package from the ELF files it holds (libc6, ...).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libtpsync-dev depends on the libtpsync0 of the same version.
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_COMPONENT_DEV_DEPENDS runtime)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libtpsync0)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "tpsync: userspace RCU flavours and tracepoints (shared library)
 Classic RCU, SRCU domains with srcu-fast, tasks-trace, and tracepoint
 probe arrays built on them, with the Linux kernel's names after a tps_
 prefix. Also the debug variant libtpsync-debug, same ABI, which aborts
 with the name of a broken rule where the release library would hang.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libtpsync-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "tpsync: userspace RCU flavours and tracepoints (development files)
 Headers, the static library, the CMake package (tpsync::tpsync,
 tpsync::tpsync_static, tpsync::tpsync_debug), pkg-config modules tpsync,
 tpsync-static and tpsync-debug, and the API reference (man pages and
 HTML).")

set(CPACK_DEBIAN_URCU_PACKAGE_NAME libtpsync-urcu-dev)
set(CPACK_DEBIAN_URCU_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_URCU_DEPENDS dev)
# dpkg-shlibdeps does not look into the other packages being built (it
# would not find libtpsync.so.0): the dependencies are named instead.
set(CPACK_DEBIAN_URCU_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_URCU_PACKAGE_DEPENDS "liburcu-dev")
set(CPACK_COMPONENT_URCU_DESCRIPTION
    "tpsync: liburcu flavour tables over tpsync's flavours
 The tpsync-urcu library (CMake tpsync::tpsync_urcu, pkg-config
 tpsync-urcu): struct rcu_flavor_struct instances over the classic,
 tasks-trace and QSBR flavours, so that liburcu's data structures
 (cds_lfht, ...) run on them.")

include(CPack)
