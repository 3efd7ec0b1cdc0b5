/* liblo helpers for the OSC tests (test_osc.c, test_control.c): a message
 * made with liblo as bytes, the way a real OSC client sends it. Include
 * after check.h. */
#ifndef VL_LO_CHECK_H
#define VL_LO_CHECK_H

#include <lo/lo.h>
#include <stdint.h>

/* Serialise m for path into buf (cap bytes) and free m; the length, 0
 * (and a failed check) when it does not fit. */
static inline size_t serialise(lo_message m, const char *path, uint8_t *buf, size_t cap)
{
    size_t n = lo_message_length(m, path);
    CHECK(n <= cap);
    if (n <= cap)
        lo_message_serialise(m, path, buf, &n);
    lo_message_free(m);
    return n <= cap ? n : 0;
}

#endif
