/* Private to track/: an OpenTrackIO message as a sample and back.
 * opentrackio.c puts a message's datagrams together and decodes its payload
 * (JSON, or CBOR by opentrackio_cbor.c) into a jansson value; this reads
 * that value, keeping the static data of each source between messages. */
#ifndef VL_TRACK_OPENTRACKIO_MESSAGE_H
#define VL_TRACK_OPENTRACKIO_MESSAGE_H

#include "track/track.h"

#include <jansson.h>

/* The largest message, put together or sent. */
#define VL_OTRK_MAX_MESSAGE 65536

/* The static data of the sources seen, a bounded table (track.h: the
 * OpenTrackIO contract). Never NULL; destroy accepts NULL. */
typedef struct vl_otrk_sources vl_otrk_sources;
vl_otrk_sources *vl_otrk_sources_create(void);
void vl_otrk_sources_destroy(vl_otrk_sources *t);

/* One message: its sample to sink->sample, its static data kept in t and
 * noted as VL_TRACK_STATIC; or dropped as VL_TRACK_BAD_SOURCE or
 * VL_TRACK_MALFORMED. */
void vl_otrk_use_message(vl_otrk_sources *t, const json_t *root, const vl_track_sink *sink);

/* A drop or an event to the sink, when it takes them. */
static inline void report(const vl_track_sink *sink, enum vl_track_error e)
{
    if (sink->error)
        sink->error(sink->ctx, e);
}

static inline void note(const vl_track_sink *sink, enum vl_track_event e, uint32_t n)
{
    if (sink->event)
        sink->event(sink->ctx, e, n);
}

#endif
