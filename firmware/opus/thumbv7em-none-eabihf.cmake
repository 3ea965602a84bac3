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
# build type. opusic-sys does not rebuild libopus when this file changes:
# after an edit, `cargo clean --release -p opusic-sys` (and the same
# without --release).
#
# -O2, measured against -Os and -O3 on the bench image (firmware/opus-bench,
# QEMU mps2-an500, complexity 10, mean instructions per encoded frame):
# -Os 5.61 M, -O2 4.70 M, -O3 4.58 M; the image's code: -Os 28.8 KB
# smaller than -O2, -O3 36.8 KB larger. All three code the same bytes.
#
# libopus' inline assembly for ARMv5E and ARMv6 DSP instructions (SMULWB,
# SMLAWB, SMLAD, ...; all in ARMv7E-M's Thumb-2): header-only, so turned
# on by its defines (the autotools build does this on ARM; the CMake
# build has no switch for it). Bit-exact with the C macros (the same
# packets and the same decoded samples), 31 % fewer instructions to encode.
set(SUSURRO_OPUS_OPT "-O2")
set(SUSURRO_OPUS_ASM "-DOPUS_ARM_INLINE_ASM -DOPUS_ARM_INLINE_EDSP -DOPUS_ARM_INLINE_MEDIA")
set(CMAKE_C_FLAGS "-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16 -ffunction-sections -fdata-sections ${SUSURRO_OPUS_OPT} ${SUSURRO_OPUS_ASM}" CACHE STRING "" FORCE)
foreach(config RELEASE MINSIZEREL RELWITHDEBINFO DEBUG)
    set(CMAKE_C_FLAGS_${config} "-DNDEBUG" CACHE STRING "" FORCE)
endforeach()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
