/* Per-camera rings of tracking samples, kept in t_ns order so that a reader
 * can interpolate at any time t from the samples around it. */
#include "track/track.h"

#include <pthread.h>
#include <stdlib.h>

#define DEFAULT_CAPACITY 256
/* A stage has a handful of tracked cameras; a fixed table keeps the memory
 * bounded no matter what camera ids arrive on the wire. */
#define MAX_CAMERAS 16

/* One camera's samples, oldest at `start`, `n` of them, ascending t_ns. */
struct ring {
    int camera;                 /* -1 while the slot is unused */
    int start, n;
    vl_sample *s;               /* capacity entries */
};

struct vl_sample_buffer {
    int capacity;
    pthread_mutex_t lock;
    /* lock guards everything below */
    struct ring rings[MAX_CAMERAS];
    vl_sample last;             /* the most recently pushed sample */
    bool have_last;
    uint64_t count;
    bool warned_full;
};

vl_sample_buffer *vl_sample_buffer_create(int capacity)
{
    vl_sample_buffer *b = vl_xcalloc(1, sizeof(*b));
    b->capacity = capacity > 0 ? capacity : DEFAULT_CAPACITY;
    pthread_mutex_init(&b->lock, NULL);
    /* One block for all rings: no allocation later in a receiver thread. */
    vl_sample *all = vl_xcalloc((size_t)MAX_CAMERAS * b->capacity, sizeof(vl_sample));
    for (int i = 0; i < MAX_CAMERAS; i++)
        b->rings[i] = (struct ring){ .camera = -1, .s = all + (size_t)i * b->capacity };
    return b;
}

void vl_sample_buffer_destroy(vl_sample_buffer *b)
{
    if (!b)
        return;
    free(b->rings[0].s);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static vl_sample *at(vl_sample_buffer *b, struct ring *r, int i)
{
    return &r->s[(r->start + i) % b->capacity];
}

/* The ring of `camera`; claims a free slot when create is set. NULL when the
 * camera has none (or the table is full). */
static struct ring *find_ring(vl_sample_buffer *b, int camera, bool create)
{
    for (int i = 0; i < MAX_CAMERAS; i++) {
        if (b->rings[i].camera == camera)
            return &b->rings[i];
    }
    if (!create)
        return NULL;
    for (int i = 0; i < MAX_CAMERAS; i++) {
        if (b->rings[i].camera < 0) {
            b->rings[i].camera = camera;
            return &b->rings[i];
        }
    }
    return NULL;
}

/* Insert in t_ns order. Samples normally arrive in order, but two receiver
 * threads feeding one camera can take the lock in the other order than they
 * stamped t_ns, so the newest few may need to shift up by one. Returns false
 * when the ring is full and s is older than everything in it. */
static bool ring_insert(vl_sample_buffer *b, struct ring *r, const vl_sample *s)
{
    int newer = 0;
    while (newer < r->n && at(b, r, r->n - 1 - newer)->t_ns > s->t_ns)
        newer++;
    if (r->n == b->capacity) {
        if (newer == r->n)
            return false;
        r->start = (r->start + 1) % b->capacity;
        r->n--;
    }
    for (int i = r->n; i > r->n - newer; i--)
        *at(b, r, i) = *at(b, r, i - 1);
    *at(b, r, r->n - newer) = *s;
    r->n++;
    return true;
}

void vl_sample_buffer_push(vl_sample_buffer *b, const vl_sample *s)
{
    /* Negative ids are reserved for "any camera" in vl_sample_buffer_latest. */
    if (s->camera < 0)
        return;
    pthread_mutex_lock(&b->lock);
    struct ring *r = find_ring(b, s->camera, true);
    if (!r) {
        if (!b->warned_full)
            VL_WARN("track", "more than %d cameras: samples of camera %d and later new "
                    "ids are dropped", MAX_CAMERAS, s->camera);
        b->warned_full = true;
    } else if (ring_insert(b, r, s)) {
        b->last = *s;
        b->have_last = true;
        b->count++;
    }
    pthread_mutex_unlock(&b->lock);
}

bool vl_sample_buffer_latest(vl_sample_buffer *b, int camera, vl_sample *out)
{
    bool found = false;
    pthread_mutex_lock(&b->lock);
    if (camera < 0) {
        if (b->have_last) {
            *out = b->last;
            found = true;
        }
    } else {
        struct ring *r = find_ring(b, camera, false);
        if (r && r->n > 0) {
            *out = *at(b, r, r->n - 1);
            found = true;
        }
    }
    pthread_mutex_unlock(&b->lock);
    return found;
}

/* At most this many samples are copied out of a ring for one query: the
 * pair around t, or the newest and a base far enough back to extrapolate. */
#define WINDOW 16

bool vl_sample_buffer_at(vl_sample_buffer *b, int camera, int64_t t_ns,
                         int64_t max_extrapolate_ns, vl_sample *out, vl_sample *newest)
{
    vl_sample win[WINDOW];
    int n = 0;
    pthread_mutex_lock(&b->lock);
    struct ring *r = find_ring(b, camera, false);
    if (r && r->n > 0) {
        /* Samples newer than t; a frame usually asks near the newest, so
         * the walk from the top is short. */
        int later = 0;
        while (later < r->n && at(b, r, r->n - 1 - later)->t_ns > t_ns)
            later++;
        int hi = later ? r->n - later : r->n - 1;      /* last index copied */
        int lo = hi - (later ? 1 : WINDOW - 1);         /* first index copied */
        lo = lo < 0 ? 0 : lo;
        for (int i = lo; i <= hi; i++)
            win[n++] = *at(b, r, i);
        if (newest)
            *newest = *at(b, r, r->n - 1);
    }
    pthread_mutex_unlock(&b->lock);
    return vl_samples_at(win, n, t_ns, max_extrapolate_ns, out);
}

uint64_t vl_sample_buffer_count(vl_sample_buffer *b)
{
    pthread_mutex_lock(&b->lock);
    uint64_t n = b->count;
    pthread_mutex_unlock(&b->lock);
    return n;
}
