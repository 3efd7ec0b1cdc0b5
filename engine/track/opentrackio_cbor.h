/* Private to track/: OpenTrackIO's CBOR payloads as jansson values, so that
 * one reader serves both encodings (opentrackio.c) and the CBOR a sender
 * writes says exactly what its JSON would. */
#ifndef VL_TRACK_OPENTRACKIO_CBOR_H
#define VL_TRACK_OPENTRACKIO_CBOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of maps and arrays accepted (the top level is 1). */
#define VL_OTRK_CBOR_MAX_DEPTH 32

/* One CBOR data item filling all of data[0..len) as a new jansson value
 * (the caller decrefs it). Maps with text-string keys become objects,
 * arrays arrays, integers integers, floats (half, single, double) reals,
 * true/false/null themselves, text strings strings; a tag 55799
 * (self-described CBOR) is looked through. NULL for anything else: a byte
 * string, another tag, undefined, another simple value, a non-text key, a
 * NUL in a string, text that is not UTF-8, an integer outside int64, a
 * float that is not finite, nesting past VL_OTRK_CBOR_MAX_DEPTH, truncated
 * input or bytes after the item. */
json_t *vl_otrk_cbor_to_json(const uint8_t *data, size_t len);

/* v (objects, arrays, integers, reals, strings, booleans, null) as CBOR into
 * out: definite lengths, integers in their shortest form, reals as
 * doubles. Returns the size, 0 when it does not fit in cap. */
size_t vl_otrk_json_to_cbor(const json_t *v, uint8_t *out, size_t cap);

#endif
