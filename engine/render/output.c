/* Headless output: pictures to files. */
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

bool vl_write_png(const char *path, int width, int height, const uint8_t *rgba)
{
    /* RGB: a canvas is opaque, and an RGB PNG is what LED tools expect. */
    size_t n = (size_t)width * height;
    uint8_t *rgb = vl_xmalloc(n * 3);
    for (size_t i = 0; i < n; i++)
        memcpy(rgb + i * 3, rgba + i * 4, 3);
    errno = 0;
    int ok = stbi_write_png(path, width, height, 3, rgb, width * 3);
    free(rgb);
    if (!ok)
        VL_ERR("render/png", "cannot write %s: %s", path, errno ? strerror(errno) : "write failed");
    return ok != 0;
}
