#include "render.h"
#include "gl_util.h"

#include <SDL2/SDL.h>
#include <stdlib.h>
#include <string.h>

#define LOG "render/gl"

struct vl_gl {
    bool headless;
    SDL_Window **windows;       /* one per output shown, then the preview; headless: one
                                 * hidden 16x16 */
    int n_windows;
    int n_outputs;              /* how many of them show outputs */
    SDL_Window *preview;        /* the preview or single-screen window (the last); NULL none */
    SDL_GLContext ctx;
    GLuint blit_prog, vao;
};

#include "shaders.h"

static GLuint compile(const char *name, GLenum type, const char *const *src, int n)
{
    GLuint s = glCreateShader(type);
    glShaderSource(s, n, src, NULL);
    glCompileShader(s);
    GLint ok = 0;
    glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
    if (!ok) {
        char log[2048];
        glGetShaderInfoLog(s, sizeof(log), NULL, log);
        VL_ERR(LOG, "shader %s (%s) does not compile:\n%s", name,
               type == GL_VERTEX_SHADER ? "vertex" : "fragment", log);
        glDeleteShader(s);
        return 0;
    }
    return s;
}

GLuint vl_gl_program(const char *name, const char *vert, const char *frag)
{
    return vl_gl_program_parts(name, vert, &frag, 1);
}

GLuint vl_gl_program_parts(const char *name, const char *vert, const char *const *frag, int n)
{
    GLuint vs = compile(name, GL_VERTEX_SHADER, &vert, 1);
    GLuint fs = compile(name, GL_FRAGMENT_SHADER, frag, n);
    GLuint p = 0;
    if (vs && fs) {
        p = glCreateProgram();
        glAttachShader(p, vs);
        glAttachShader(p, fs);
        glLinkProgram(p);
        GLint ok = 0;
        glGetProgramiv(p, GL_LINK_STATUS, &ok);
        if (!ok) {
            char log[2048];
            glGetProgramInfoLog(p, sizeof(log), NULL, log);
            VL_ERR(LOG, "shader %s does not link:\n%s", name, log);
            glDeleteProgram(p);
            p = 0;
        }
    }
    glDeleteShader(vs);
    glDeleteShader(fs);
    return p;
}

bool vl_target_init(vl_target *t, int width, int height, bool depth)
{
    *t = (vl_target){ .width = width, .height = height };
    glGenTextures(1, &t->tex);
    glBindTexture(GL_TEXTURE_2D, t->tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glGenFramebuffers(1, &t->fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, t->fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, t->tex, 0);
    if (depth) {
        glGenRenderbuffers(1, &t->depth);
        glBindRenderbuffer(GL_RENDERBUFFER, t->depth);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, width, height);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, t->depth);
    }
    GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (status != GL_FRAMEBUFFER_COMPLETE) {
        VL_ERR(LOG, "cannot make a %dx%d framebuffer (status 0x%x)", width, height, status);
        vl_target_free(t);
        return false;
    }
    return true;
}

void vl_target_free(vl_target *t)
{
    glDeleteFramebuffers(1, &t->fbo);
    glDeleteTextures(1, &t->tex);
    glDeleteRenderbuffers(1, &t->depth);
    *t = (vl_target){ 0 };
}

void vl_target_bind(const vl_target *t)
{
    glBindFramebuffer(GL_FRAMEBUFFER, t->fbo);
    glViewport(0, 0, t->width, t->height);
}

void vl_gl_read_rgba(int w, int h, bool flip, unsigned char *rgba)
{
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    if (!flip)
        return;
    size_t row = (size_t)w * 4;
    unsigned char *tmp = vl_xmalloc(row);
    for (int y = 0; y < h / 2; y++) {
        unsigned char *a = rgba + (size_t)y * row, *b = rgba + (size_t)(h - 1 - y) * row;
        memcpy(tmp, a, row);
        memcpy(a, b, row);
        memcpy(b, tmp, row);
    }
    free(tmp);
}

GLuint vl_gl_empty_vao(void)
{
    GLuint vao;
    glGenVertexArrays(1, &vao);
    return vao;
}

/* A window bigger than the desktop still opens, scaled down to 90 % of it. */
static void fit_desktop(int display, bool fullscreen, int *w, int *h)
{
    SDL_DisplayMode mode;
    if (fullscreen || SDL_GetDesktopDisplayMode(display, &mode) != 0 ||
        (*w <= mode.w && *h <= mode.h))
        return;
    double s = SDL_min(0.9 * mode.w / *w, 0.9 * mode.h / *h);
    *w = (int)(*w * s);
    *h = (int)(*h * s);
}

static SDL_Window *open_window(const vl_output *o, bool headless)
{
    Uint32 flags = SDL_WINDOW_OPENGL;
    int x = SDL_WINDOWPOS_UNDEFINED, y = SDL_WINDOWPOS_UNDEFINED;
    int w = 16, h = 16;
    if (headless) {
        flags |= SDL_WINDOW_HIDDEN;
    } else {
        int display = o->display < SDL_GetNumVideoDisplays() ? o->display : 0;
        if (display != o->display)
            VL_WARN(LOG, "output %s: display %d does not exist, using display 0",
                    o->name, o->display);
        x = y = SDL_WINDOWPOS_CENTERED_DISPLAY(display);
        w = o->width;
        h = o->height;
        fit_desktop(display, o->fullscreen, &w, &h);
        flags |= SDL_WINDOW_RESIZABLE;
        if (o->fullscreen)
            flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    }
    char title[128];
    snprintf(title, sizeof(title), "volym: %s", o ? o->name : "headless");
    SDL_Window *win = SDL_CreateWindow(title, x, y, w, h, flags);
    if (!win)
        VL_ERR(LOG, "cannot open a window for output %s: %s", o ? o->name : "-", SDL_GetError());
    else if (!headless)
        VL_INFO(LOG, "output %s: a %dx%d window on display %d%s", o->name, w, h,
                SDL_GetWindowDisplayIndex(win), o->fullscreen ? ", fullscreen" : "");
    return win;
}

/* Whether a fullscreen output covers display d. */
static bool covered(const vl_stage *stage, int d)
{
    for (int i = 0; i < stage->n_outputs; i++)
        if (stage->outputs[i].fullscreen && stage->outputs[i].display == d)
            return true;
    return false;
}

/* The preview or single-screen window: on the first display no fullscreen
 * output covers (else the first), 1280x720 (single 1600x900) or 90 % of
 * the desktop, whichever is smaller. */
static SDL_Window *open_preview(const vl_stage *stage, bool single)
{
    int display = 0, n = SDL_GetNumVideoDisplays();
    while (!single && display < n && covered(stage, display))
        display++;
    display = display < n ? display : 0;
    int w = single ? 1600 : 1280, h = single ? 900 : 720;
    fit_desktop(display, false, &w, &h);
    const char *title = single ? "volym: single screen" : "volym: preview";
    int at = SDL_WINDOWPOS_CENTERED_DISPLAY(display);
    SDL_Window *win = SDL_CreateWindow(title, at, at, w, h,
                                       SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE);
    if (!win)
        VL_ERR(LOG, "cannot open the %s window: %s", single ? "single-screen" : "preview",
               SDL_GetError());
    else
        VL_INFO(LOG, "%s: a %dx%d window on display %d; h shows the keys",
                single ? "single screen" : "preview", w, h, display);
    return win;
}

vl_gl *vl_gl_create(const vl_stage *stage, enum vl_gl_windows windows)
{
    bool headless = windows == VL_GL_HEADLESS;
    if (headless)
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        VL_ERR(LOG, "cannot start SDL video: %s", SDL_GetError());
        return NULL;
    }
    vl_gl *gl = vl_xcalloc(1, sizeof(*gl));
    gl->headless = headless;
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);

    gl->n_outputs = windows == VL_GL_HEADLESS ? 1 : windows == VL_GL_SINGLE ? 0 : stage->n_outputs;
    bool preview = windows == VL_GL_PREVIEW || windows == VL_GL_SINGLE;
    gl->windows = vl_xcalloc(gl->n_outputs + preview, sizeof(*gl->windows));
    for (int i = 0; i < gl->n_outputs; i++, gl->n_windows++) {
        gl->windows[i] = open_window(headless ? NULL : &stage->outputs[i], headless);
        if (!gl->windows[i])
            goto fail;
    }
    if (preview) {
        gl->preview = gl->windows[gl->n_windows++] = open_preview(stage, windows == VL_GL_SINGLE);
        if (!gl->preview)
            goto fail;
    }
    gl->ctx = SDL_GL_CreateContext(gl->windows[0]);
    if (!gl->ctx) {
        VL_ERR(LOG, "cannot create an OpenGL 3.3 core context: %s", SDL_GetError());
        goto fail;
    }
    glewExperimental = GL_TRUE;
    GLenum err = glewInit();
    /* Over EGL (offscreen driver) GLEW loads the functions, then fails to
     * find a GLX display: with a current context that is success. */
    if (err != GLEW_OK && err != GLEW_ERROR_NO_GLX_DISPLAY) {
        VL_ERR(LOG, "cannot load OpenGL functions: %s", glewGetErrorString(err));
        goto fail;
    }
    VL_INFO(LOG, "%s, %s%s", (const char *)glGetString(GL_RENDERER),
            (const char *)glGetString(GL_VERSION), headless ? ", headless" : "");
    /* One vblank wait a frame, not one per window: only the last output
     * window swapped waits (the swap interval belongs to each window's
     * surface); the preview, swapped after the outputs, waits only when it
     * is the single screen. */
    int waits = gl->n_outputs ? gl->n_outputs - 1 : 0;
    for (int i = 0; !headless && i < gl->n_windows; i++) {
        SDL_GL_MakeCurrent(gl->windows[i], gl->ctx);
        SDL_GL_SetSwapInterval(i == waits);
    }
    SDL_GL_MakeCurrent(gl->windows[0], gl->ctx);
    gl->blit_prog = vl_gl_program("blit", vl_shader_blit_vert, vl_shader_blit_frag);
    if (!gl->blit_prog)
        goto fail;
    gl->vao = vl_gl_empty_vao();
    return gl;

fail:
    vl_gl_destroy(gl);
    return NULL;
}

void vl_gl_destroy(vl_gl *gl)
{
    if (!gl)
        return;
    if (gl->ctx) {
        glDeleteProgram(gl->blit_prog);
        glDeleteVertexArrays(1, &gl->vao);
        SDL_GL_DeleteContext(gl->ctx);
    }
    for (int i = 0; i < gl->n_windows; i++)
        if (gl->windows[i])
            SDL_DestroyWindow(gl->windows[i]);
    free(gl->windows);
    free(gl);
    SDL_Quit();
}

bool vl_gl_begin_window(vl_gl *gl, int *width, int *height)
{
    if (!gl->preview)
        return false;
    SDL_GL_MakeCurrent(gl->preview, gl->ctx);
    SDL_GL_GetDrawableSize(gl->preview, width, height);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    return true;
}

void vl_gl_poll(vl_gl *gl, vl_input *in)
{
    *in = (vl_input){ 0 };
    Uint32 preview = gl->preview ? SDL_GetWindowID(gl->preview) : 0;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            in->quit = true;
            break;
        case SDL_WINDOWEVENT:
            if (ev.window.event == SDL_WINDOWEVENT_CLOSE)
                in->quit = true;
            break;
        case SDL_KEYDOWN: {
            SDL_Keycode k = ev.key.keysym.sym;
            if (k == SDLK_ESCAPE || k == SDLK_q)
                in->quit = true;
            else if (k == SDLK_KP_PLUS || k == SDLK_KP_MINUS)
                k = k == SDLK_KP_PLUS ? '+' : '-';
            if (k > 0 && k < 128 && !in->quit && in->n_keys < (int)sizeof(in->keys))
                in->keys[in->n_keys++] = (char)k;
            break;
        }
        case SDL_MOUSEMOTION:
            if (ev.motion.windowID == preview && (ev.motion.state & SDL_BUTTON_LMASK)) {
                in->drag_x += ev.motion.xrel;
                in->drag_y += ev.motion.yrel;
            }
            break;
        case SDL_MOUSEWHEEL:
            if (ev.wheel.windowID == preview)
                in->wheel += ev.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -ev.wheel.y : ev.wheel.y;
            break;
        }
    }
}

void vl_gl_present(vl_gl *gl, const unsigned *canvas_textures, int n)
{
    if (gl->headless)
        return;
    for (int i = 0; i < gl->n_outputs && i < n; i++) {
        SDL_GL_MakeCurrent(gl->windows[i], gl->ctx);
        int w, h;
        SDL_GL_GetDrawableSize(gl->windows[i], &w, &h);
        glBindFramebuffer(GL_FRAMEBUFFER, 0);
        glViewport(0, 0, w, h);
        glDisable(GL_DEPTH_TEST);
        glUseProgram(gl->blit_prog);
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, canvas_textures[i]);
        glBindVertexArray(gl->vao);
        glDrawArrays(GL_TRIANGLES, 0, 3);
        SDL_GL_SwapWindow(gl->windows[i]);
    }
    SDL_GL_MakeCurrent(gl->windows[0], gl->ctx);
}

void vl_gl_end_window(vl_gl *gl)
{
    SDL_GL_SwapWindow(gl->preview);
    SDL_GL_MakeCurrent(gl->windows[0], gl->ctx);
}
