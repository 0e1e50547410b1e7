/* The libFuzzer entry point every harness in tests/fuzz/ defines.  Built
 * either with -fsanitize=fuzzer (meson setup -Dfuzzing=true, clang) or with
 * standalone.c, a bounded deterministic driver that meson test runs. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
