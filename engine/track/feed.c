/* The pose that drives the inner frustum for each frame, with prediction
 * and stale handling. Called by the render thread only. */
#include "track/track.h"

#define LOG "track"
#define NS_PER_MS 1000000.0

enum vl_feed_state vl_feed_pose(vl_feed *f, int64_t frame_t_ns, int64_t now_ns, vl_sample *out)
{
    vl_sample newest;
    if (!vl_sample_buffer_latest(f->buffer, f->camera, &newest))
        return VL_FEED_NONE;
    const vl_tracker_config *cfg = newest.source >= 0 && newest.source < f->n_trackers ?
                                   &f->trackers[newest.source] : NULL;
    double stale_ms = cfg ? cfg->stale_ms : 500.0;
    int64_t predict = cfg ? (int64_t)(cfg->predict_ms * NS_PER_MS) : 0;
    int64_t extrapolate = cfg ? (int64_t)(cfg->extrapolate_ms * NS_PER_MS) : 0;

    /* Age by arrival time, so a tracker's delay does not count as silence. */
    int64_t arrived = newest.rx_ns ? newest.rx_ns : newest.t_ns;
    if (now_ns - arrived > (int64_t)(stale_ms * NS_PER_MS)) {
        if (!f->stale) {
            f->stale = true;
            f->stale_since_ns = arrived;
            f->stale_events++;
            VL_WARN(LOG, "camera %d: no tracking sample for %.0f ms, holding its last pose",
                    newest.camera, stale_ms);
        }
        *out = newest;
        return VL_FEED_STALE;
    }
    if (f->stale) {
        f->stale = false;
        VL_INFO(LOG, "camera %d: tracking is back after %.1f s", newest.camera,
                (now_ns - f->stale_since_ns) / 1e9);
    }
    vl_sample_buffer_at(f->buffer, newest.camera, frame_t_ns + predict, extrapolate, out, NULL);
    return VL_FEED_LIVE;
}
