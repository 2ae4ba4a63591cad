/*
 * fuzz.h - what the libFuzzer harnesses in fuzz/ share (doc/fuzzing.md).
 *
 * Each fuzz-TARGET.c defines LLVMFuzzerTestOneInput and may define
 * LLVMFuzzerInitialize.  Built with clang and -fsanitize=fuzzer it is a
 * fuzzer (`make fuzz`); linked with replay.c by any compiler it is a
 * replay driver that runs the kept inputs in `make check`.
 */
#ifndef SEARCHD_FUZZ_H
#define SEARCHD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * A property the code under test broke: a finding like a crash (the
 * fuzzer saves the input), with the harness's line to say which.
 */
#define FUZZ_ASSERT(cond)                                                  \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,      \
                    __LINE__, #cond);                                      \
            abort();                                                       \
        }                                                                  \
    } while (0)

#endif /* SEARCHD_FUZZ_H */
