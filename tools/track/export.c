/* export: a take as CSV (every sample) or as a Nuke .chan camera (one
 * camera sampled at a frame rate). */
#include "chan.h"
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "volym-track"

const char *const track_format_names[N_FORMATS + 1] = { [FORMAT_CSV] = "csv", [FORMAT_CHAN] = "chan" };

/* FILE with its .jsonl (or any last) extension replaced by .csv / .chan.
 * The caller frees it. */
static char *default_out(const char *file, enum track_format format)
{
    const char *slash = strrchr(file, '/');
    const char *dot = strrchr(file, '.');
    size_t stem = dot && dot > (slash ? slash : file) ? (size_t)(dot - file) : strlen(file);
    const char *ext = track_format_names[format];
    char *out = vl_xmalloc(stem + strlen(ext) + 2);
    memcpy(out, file, stem);
    out[stem] = '.';
    strcpy(out + stem + 1, ext);
    return out;
}

/* Columns: t,camera,x,y,z,pan,tilt,roll,fov,zoom,focus; t in seconds as in
 * the take, fov empty when unknown, zoom and focus empty when not sent. */
static void write_csv(FILE *f, const vl_take *take)
{
    fputs("t,camera,x,y,z,pan,tilt,roll,fov,zoom,focus\n", f);
    for (int i = 0; i < take->n; i++) {
        const vl_sample *s = &take->samples[i];
        fprintf(f, "%.9f,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,", (double)s->t_ns / 1e9, s->camera,
                s->pose.pos[0], s->pose.pos[1], s->pose.pos[2], s->pose.pan_deg,
                s->pose.tilt_deg, s->pose.roll_deg);
        if (s->fov_h_deg > 0)
            fprintf(f, "%.9g", s->fov_h_deg);
        if (s->has_encoders)
            fprintf(f, ",%u,%u\n", (unsigned)s->zoom, (unsigned)s->focus);
        else
            fputs(",,\n", f);
    }
}

/* One line per frame from frame 1 at the take's first sample to the last
 * frame within the take: "frame tx ty tz rx ry rz [vfov]", Nuke axes and
 * ZXY rotation (chan.h), the vertical FOV in degrees as Nuke's camera
 * import reads it in an eighth column, written only when the camera's
 * first sample has a FOV. The take has samples of o->camera. */
static void write_chan(FILE *f, const vl_take *take, const track_opts *o)
{
    vl_sample s;
    vl_take_at(take, o->camera, 0, &s);
    bool fov = s.fov_h_deg > 0;
    int64_t span = take->samples[take->n - 1].t_ns - take->samples[0].t_ns;
    for (int64_t frame = 0; vl_frame_time_ns(o->fps, frame) <= span; frame++) {
        vl_take_at(take, o->camera, vl_frame_time_ns(o->fps, frame), &s);
        double tr[3], rot[3];
        chan_from_pose(&s.pose, tr, rot);
        fprintf(f, "%lld %.6f %.6f %.6f %.6f %.6f %.6f", (long long)frame + 1, tr[0], tr[1], tr[2],
                rot[0], rot[1], rot[2]);
        if (fov)
            fprintf(f, " %.6f", chan_vertical_fov(s.fov_h_deg, o->aspect));
        fputc('\n', f);
    }
}

/* The take, or NULL after saying why it cannot be exported. */
static vl_take *load(const track_opts *o)
{
    vl_take *take = vl_take_load(o->file);
    vl_sample s;
    if (take && take->n == 0) {
        VL_ERR(LOG, "%s holds no samples", o->file);
    } else if (take && o->format == FORMAT_CHAN && !vl_take_at(take, o->camera, 0, &s)) {
        VL_ERR(LOG, "%s has no samples of camera %d", o->file, o->camera);
    } else {
        return take;
    }
    vl_take_free(take);
    return NULL;
}

int track_export(const track_opts *o)
{
    vl_take *take = load(o);
    if (!take)
        return 1;
    char *path = o->out ? vl_xstrdup(o->out) : default_out(o->file, (enum track_format)o->format);
    bool to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "w");
    bool ok = f != NULL;
    if (ok) {
        if (o->format == FORMAT_CSV)
            write_csv(f, take);
        else
            write_chan(f, take, o);
        ok = !ferror(f);
        ok = (to_stdout ? fflush(f) : fclose(f)) == 0 && ok;
    }
    if (!ok)
        VL_ERR(LOG, "cannot write %s: %s", path, strerror(errno));
    else if (!to_stdout)
        fprintf(stderr, "export: wrote %s\n", path);
    free(path);
    vl_take_free(take);
    return ok ? 0 : 1;
}
