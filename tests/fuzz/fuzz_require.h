/* fuzz_require: an invariant a fuzz target checks. A failure names the
 * condition and its line, then aborts so that libFuzzer keeps the input. */
#ifndef BURROW_FUZZ_REQUIRE_H
#define BURROW_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#define require(cond)                                                                              \
    ((cond)                                                                                        \
         ? (void)0                                                                                 \
         : (fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond), abort()))

#endif
