# SPDX-License-Identifier: MIT
# Toolchain file: a 32-bit x86 (i386) build on an x86-64 Debian host with
# gcc-12-multilib and libc6-dev-i386 (gcc-multilib conflicts with the aarch64
# cross compiler). Its binaries run natively.
#
#   cmake -S . -B build/m32 --toolchain cmake/toolchain-i386.cmake
#
# gcc-12-multilib ships no <asm/...> for -m32 (gcc-multilib adds the
# /usr/include/asm symlink): the kernel's x86 asm headers serve both word
# sizes, so a directory of this build tree holding asm -> the x86-64 ones is
# put on the include path.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)

set(_tps_m32_inc ${CMAKE_BINARY_DIR}/m32-include)
if(NOT EXISTS ${_tps_m32_inc}/asm)
  file(MAKE_DIRECTORY ${_tps_m32_inc})
  file(CREATE_LINK /usr/include/x86_64-linux-gnu/asm ${_tps_m32_inc}/asm SYMBOLIC)
endif()
set(CMAKE_C_FLAGS_INIT "-m32 -idirafter ${_tps_m32_inc}")
set(CMAKE_CXX_FLAGS_INIT "-m32 -idirafter ${_tps_m32_inc}")
set(CMAKE_EXE_LINKER_FLAGS_INIT -m32)
set(CMAKE_SHARED_LINKER_FLAGS_INIT -m32)
set(CMAKE_MODULE_LINKER_FLAGS_INIT -m32)
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)

# pkg-config: the i386 .pc files (cmocka) only.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
