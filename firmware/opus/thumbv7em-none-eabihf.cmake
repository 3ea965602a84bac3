# CMake toolchain file for libopus on thumbv7em-none-eabihf (bare-metal
# Cortex-M, hard-float ABI), read by the `cmake` crate from the variable
# CMAKE_TOOLCHAIN_FILE_thumbv7em_none_eabihf (firmware/.cargo/config.toml,
# [env]) when opusic-sys builds its bundled libopus.
#
# Compiler: Debian's gcc-arm-none-eabi (newlib's headers from
# libnewlib-arm-none-eabi). Generic system: there is no OS, and CMake's
# test programs are built as static libraries because an M-profile program
# cannot link without a linker script.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)

# Cortex-M7 with the STM32F746's single-precision FPv5 unit, hard-float
# calling convention: the ABI of Rust's thumbv7em-none-eabihf (which is
# built for the FPv4-SP of a Cortex-M4; FPv5-SP only adds instructions).
#
# The `cmake` crate passes its own -DCMAKE_C_FLAGS (from the `cc` crate:
# -march=armv7e-m -mfpu=fpv4-sp-d16 -w ...) on the command line, which
# CMake prefers to CMAKE_C_FLAGS_INIT, and opusic-sys picks the build type
# from the Rust profile (opt-level "s": MinSizeRel). So this file owns the
# flags outright: FORCE over the cache, one optimisation level for every
# build type.
set(SUSURRO_OPUS_OPT "-O2")
set(CMAKE_C_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16 -ffunction-sections -fdata-sections ${SUSURRO_OPUS_OPT}" CACHE STRING "" FORCE)
foreach(config RELEASE MINSIZEREL RELWITHDEBINFO DEBUG)
    set(CMAKE_C_FLAGS_${config} "-DNDEBUG" CACHE STRING "" FORCE)
endforeach()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
