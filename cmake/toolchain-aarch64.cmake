# SPDX-License-Identifier: MIT
# Toolchain file: an aarch64 (arm64) cross build with Debian's
# gcc-aarch64-linux-gnu, against the multiarch arm64 packages
# (libc6-dev:arm64, libcmocka-dev:arm64), run under qemu-user.
#
#   cmake -S . -B build/aarch64 --toolchain cmake/toolchain-aarch64.cmake
#   cmake --build build/aarch64 && ctest --test-dir build/aarch64
#
# ctest runs the tests through CMAKE_CROSSCOMPILING_EMULATOR. qemu's sysroot
# is / (the multiarch libc in /usr/lib/aarch64-linux-gnu), not
# /usr/aarch64-linux-gnu: with libc6:arm64 installed, the latter mixes two
# builds of glibc in one process and the first pthread_create() never
# returns. User-mode qemu passes membarrier and futex to the host kernel; it
# does not implement rseq (glibc's registration fails: the atomic fallback).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L /)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# pkg-config: the arm64 .pc files (cmocka) only.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
