/* sdl_viewer.c — depot inside an SDL2 program: SDL makes the window and the OpenGL context,
 * depot adopts that context (dp_gl_create_from_current) and turns every image of a folder
 * into a texture; the viewer draws them as a grid and hot-reloads a file that changes.
 *
 *   example_sdl_viewer [--frames N] [--check [--expect-reload]] FOLDER
 *
 * FOLDER's .png, .jpg, .jpeg and .webp files (at most 64, sorted by name) are loaded with
 * dp_load; until a texture is ready its cell shows grey, and a file that failed shows
 * magenta (dp_render_get_why). Close the window (or Escape) to quit; --frames N quits after
 * N frames. With --check, the last frame is read back before it is shown: two texels of
 * every image (its first and its middle one) must appear in their cells as the decoded
 * image has them, and the program exits 1 otherwise (tests/tools/sdl_viewer.sh runs this
 * under Xvfb). With --expect-reload the check waits for a hot reload instead: the first
 * frame that shows every image after one of them changed on disk is checked against the
 * new data (so the old texture would fail it), and N frames without a reload fail.
 * Needs SDL2 (libsdl2-dev) and the GL backend.
 */
#define _POSIX_C_SOURCE 200809L /* strdup, opendir */
#define GL_GLEXT_PROTOTYPES 1
#include <SDL2/SDL.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "depot/render_gl.h"

#define MAX_FILES 64

typedef struct viewer {
    int frames; /* 0: until the window closes */
    bool check, expect_reload;
    const char *folder;
    char *names[MAX_FILES];
    int count;
    dp_handle h[MAX_FILES];
    GLuint program, vao, sampler;
    GLint rect_loc;
    int width, height; /* drawable pixels */
} viewer;

static bool is_image(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcmp(dot, ".png") || !strcmp(dot, ".jpg") || !strcmp(dot, ".jpeg") ||
                   !strcmp(dot, ".webp"));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool list_folder(viewer *v)
{
    DIR *d = opendir(v->folder);
    if (!d)
        return false;
    for (struct dirent *e; (e = readdir(d)) != NULL && v->count < MAX_FILES;)
        if (is_image(e->d_name))
            v->names[v->count++] = strdup(e->d_name);
    closedir(d);
    qsort(v->names, (size_t)v->count, sizeof v->names[0], by_name);
    return v->count > 0;
}

static GLuint compile(GLenum kind, const char *src)
{
    GLuint s = glCreateShader(kind);
    glShaderSource(s, 1, &src, NULL);
    glCompileShader(s);
    return s;
}

/* A quad from gl_VertexID: `rect` is (left, top, right, bottom) in clip space; the top
 * of the quad samples t = 0, where depot puts an image's first row. */
static void make_program(viewer *v)
{
    static const char *vs =
        "#version 330 core\n"
        "uniform vec4 rect;\n"
        "out vec2 uv;\n"
        "void main() {\n"
        "    vec2 k = vec2(gl_VertexID & 1, gl_VertexID >> 1);\n"
        "    uv = k;\n"
        "    gl_Position = vec4(mix(rect.x, rect.z, k.x), mix(rect.y, rect.w, k.y), 0, 1);\n"
        "}\n";
    static const char *fs = "#version 330 core\n"
                            "uniform sampler2D tex;\n"
                            "in vec2 uv;\n"
                            "out vec4 color;\n"
                            "void main() { color = texture(tex, uv); }\n";
    v->program = glCreateProgram();
    glAttachShader(v->program, compile(GL_VERTEX_SHADER, vs));
    glAttachShader(v->program, compile(GL_FRAGMENT_SHADER, fs));
    glLinkProgram(v->program);
    v->rect_loc = glGetUniformLocation(v->program, "rect");
    glGenVertexArrays(1, &v->vao);
    /* Nearest texels, in a sampler object: the viewer's choice, not the texture's state. */
    glGenSamplers(1, &v->sampler);
    glSamplerParameteri(v->sampler, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glSamplerParameteri(v->sampler, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
}

static int grid_columns(const viewer *v)
{
    int cols = 1;
    while (cols * cols < v->count)
        cols++;
    return cols;
}

/* Cell i in drawable pixels: left, top (from the top), width, height. */
static void cell_of(const viewer *v, int i, int *x, int *y, int *w, int *h)
{
    int cols = grid_columns(v), rows = (v->count + cols - 1) / cols;
    *w = v->width / cols;
    *h = v->height / rows;
    *x = (i % cols) * *w;
    *y = (i / cols) * *h;
}

static void draw_cell(const viewer *v, int i, GLuint tex)
{
    int x, y, w, h;
    cell_of(v, i, &x, &y, &w, &h);
    float l = 2.0f * (float)x / (float)v->width - 1.0f;
    float r = 2.0f * (float)(x + w) / (float)v->width - 1.0f;
    float t = 1.0f - 2.0f * (float)y / (float)v->height;
    float b = 1.0f - 2.0f * (float)(y + h) / (float)v->height;
    glUniform4f(v->rect_loc, l, t, r, b);
    glBindTexture(GL_TEXTURE_2D, tex);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
}

/* Draws every ready texture; cells without one are cleared grey (pending) or magenta
 * (failed). */
static void draw(const viewer *v, dp_render *r)
{
    glViewport(0, 0, v->width, v->height);
    glClearColor(0.1f, 0.1f, 0.1f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    glEnable(GL_SCISSOR_TEST);
    for (int i = 0; i < v->count; i++) {
        dp_render_why why;
        void *gpu = dp_render_get_why(r, v->h[i], &why);
        if (gpu)
            continue;
        bool failed = why.reason == DP_RENDER_REASON_FAILED ||
                      why.reason == DP_RENDER_REASON_LOAD_FAILED;
        int x, y, w, h;
        cell_of(v, i, &x, &y, &w, &h);
        glScissor(x, v->height - y - h, w, h);
        glClearColor(failed ? 1.0f : 0.5f, failed ? 0.0f : 0.5f, failed ? 1.0f : 0.5f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
    }
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(v->program);
    glBindVertexArray(v->vao);
    glBindSampler(0, v->sampler);
    for (int i = 0; i < v->count; i++) {
        void *gpu = dp_render_get(r, v->h[i]);
        if (gpu)
            draw_cell(v, i, dp_gl_texture(gpu));
    }
    glBindSampler(0, 0);
}

/* Compares texel (tx, ty) of image i with the pixel that shows it. */
static bool texel_shown(const viewer *v, int i, const dp_image *img, uint32_t tx, uint32_t ty)
{
    int x, y, w, h;
    cell_of(v, i, &x, &y, &w, &h);
    int px = x + (int)(((double)tx + 0.5) * w / img->width);
    int py = y + (int)(((double)ty + 0.5) * h / img->height);
    unsigned char got[4];
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(px, v->height - 1 - py, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, got);
    const unsigned char *want = img->pixels + ((size_t)ty * img->width + tx) * 4;
    for (int c = 0; c < 3; c++)
        if (abs(got[c] - want[c]) > 2) {
            printf("check: %s texel (%u, %u): screen %u %u %u, image %u %u %u\n",
                   v->names[i], tx, ty, got[0], got[1], got[2], want[0], want[1], want[2]);
            return false;
        }
    return true;
}

/* --check: every image is on screen, with its first and middle texels where they belong. */
static bool check_frame(const viewer *v, dp_depot *dp, dp_render *r)
{
    bool ok = true;
    for (int i = 0; i < v->count; i++) {
        const dp_image *img = dp_get(dp, v->h[i]);
        dp_render_why why;
        if (!dp_render_get_why(r, v->h[i], &why) || !img) {
            printf("check: %s has no texture (reason %d, %s)\n", v->names[i], (int)why.reason,
                   dp_status_str(why.status));
            ok = false;
            continue;
        }
        ok = texel_shown(v, i, img, 0, 0) && ok;
        ok = texel_shown(v, i, img, img->width / 2, img->height / 2) && ok;
    }
    printf("check: %d images, %s\n", v->count, ok ? "every texel shown as decoded" : "FAILED");
    return ok;
}

static bool quit_requested(void)
{
    SDL_Event e;
    bool quit = false;
    while (SDL_PollEvent(&e))
        if (e.type == SDL_QUIT || (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE))
            quit = true;
    return quit;
}

/* Hot reloads applied to our images by the last dp_update (its MODIFIED events). */
static int count_reloads(const viewer *v, dp_depot *dp)
{
    const dp_event *ev;
    size_t n = dp_events(dp, &ev);
    int reloads = 0;
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < v->count; i++)
            if (ev[k].kind == DP_EV_MODIFIED && ev[k].handle.bits == v->h[i].bits)
                reloads++;
    return reloads;
}

static bool all_ready(const viewer *v, dp_render *r)
{
    for (int i = 0; i < v->count; i++) {
        dp_render_why why;
        dp_render_get_why(r, v->h[i], &why);
        if (why.reason != DP_RENDER_REASON_READY)
            return false;
    }
    return true;
}

/* Starts frame `frame` in the render layer: what the GPU finished is destroyed, the
 * depot's events applied, waiting textures made. */
static void begin_frame(dp_gl *gl, dp_render *r, uint64_t frame)
{
    dp_render_frame_done(r, dp_gl_frames_completed(gl, 0));
    if (dp_render_sync(r, frame) == DP_ERR_OVERFLOW) {
        dp_render_frame_done(r, dp_gl_frames_completed(gl, 1000000000u));
        dp_render_sync(r, frame);
    }
    dp_render_prepare(r);
}

/* The frame loop; true unless --check found a difference. The last frame is frame N of
 * --frames N, or with --expect-reload the first one after a reload that shows every image
 * (then --frames N is the limit, and reaching it without a reload fails the check). */
static bool run(viewer *v, dp_depot *dp, dp_gl *gl, dp_render *r, SDL_Window *win)
{
    bool ok = true, announced = false;
    int reloads = 0;
    for (uint64_t frame = 1; !quit_requested(); frame++) {
        bool limit = v->frames > 0 && frame == (uint64_t)v->frames;
        if (limit && v->check && !v->expect_reload) /* every image in before the last frame */
            for (int i = 0; i < v->count; i++)
                dp_wait(dp, v->h[i], 10000);
        dp_update(dp);
        reloads += count_reloads(v, dp);
        begin_frame(gl, r, frame);
        SDL_GL_GetDrawableSize(win, &v->width, &v->height);
        draw(v, r);
        bool ready = all_ready(v, r);
        if (ready && !announced) { /* tests/tools/sdl_viewer.sh waits for this line */
            printf("sdl_viewer: all %d images shown at frame %llu\n", v->count,
                   (unsigned long long)frame);
            fflush(stdout);
            announced = true;
        }
        bool last = limit || (v->expect_reload && reloads > 0 && ready);
        if (last && v->check) {
            ok = check_frame(v, dp, r);
            if (v->expect_reload)
                printf("check: %d hot reloads applied\n", reloads);
            ok = ok && (!v->expect_reload || reloads > 0);
        }
        dp_gl_frame_submitted(gl, frame);
        SDL_GL_SwapWindow(win);
        if (last)
            break;
    }
    glFinish();
    dp_render_frame_done(r, dp_gl_frames_completed(gl, 1000000000u));
    return ok;
}

/* depot on the folder, the GL backend in SDL's context, the render layer, the loads. */
static int with_depot(viewer *v, SDL_Window *win)
{
    dp_depot *dp = NULL;
    dp_gl *gl = NULL;
    dp_render *r = NULL;
    char why[256];
    int rc = 1;
    if (dp_create(&(dp_desc){.root = v->folder, .watch = true}, &dp) != DP_OK) {
        fprintf(stderr, "sdl_viewer: cannot open %s\n", v->folder);
        return 1;
    }
    if (dp_gl_create_from_current(NULL, &gl, why, sizeof why) != DP_OK) {
        fprintf(stderr, "sdl_viewer: depot cannot use SDL's context: %s\n", why);
        goto done;
    }
    printf("sdl_viewer: %s, %d images\n", dp_gl_renderer(gl), v->count);
    dp_gl_set_types(gl, dp_builtins(dp).image, 0);
    if (dp_render_create(dp, &(dp_render_desc){.backend = dp_gl_backend(gl)}, &r) != DP_OK)
        goto done;
    for (int i = 0; i < v->count; i++)
        dp_load(dp, v->names[i], &v->h[i]);
    make_program(v);
    rc = run(v, dp, gl, r, win) ? 0 : 1;
    for (int i = 0; i < v->count; i++)
        dp_release(dp, v->h[i]);
done:
    dp_render_destroy(r);
    dp_gl_destroy(gl);
    size_t leaked = dp_destroy(dp);
    if (leaked)
        fprintf(stderr, "sdl_viewer: %zu assets still held\n", leaked);
    return leaked ? 1 : rc;
}

static bool parse_args(viewer *v, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            v->frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--check"))
            v->check = true;
        else if (!strcmp(argv[i], "--expect-reload"))
            v->expect_reload = true;
        else if (argv[i][0] != '-' && !v->folder)
            v->folder = argv[i];
        else
            return false;
    }
    return v->folder && v->frames >= 0 && (!v->check || v->frames > 0) &&
           (!v->expect_reload || v->check);
}

int main(int argc, char **argv)
{
    viewer v = {0};
    if (!parse_args(&v, argc, argv)) {
        fprintf(stderr, "usage: %s [--frames N] [--check [--expect-reload]] FOLDER "
                "(--check needs --frames)\n", argv[0]);
        return 2;
    }
    if (!list_folder(&v)) {
        fprintf(stderr, "sdl_viewer: no .png/.jpg/.webp files in %s\n", v.folder);
        return 2;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "sdl_viewer: SDL_Init: %s\n", SDL_GetError());
        return 3;
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_Window *win = SDL_CreateWindow("depot sdl_viewer", SDL_WINDOWPOS_UNDEFINED,
                                       SDL_WINDOWPOS_UNDEFINED, 512, 512, SDL_WINDOW_OPENGL);
    SDL_GLContext ctx = win ? SDL_GL_CreateContext(win) : NULL;
    int rc = 3;
    if (!ctx)
        fprintf(stderr, "sdl_viewer: no GL 3.3 window: %s\n", SDL_GetError());
    else
        rc = with_depot(&v, win);
    if (ctx)
        SDL_GL_DeleteContext(ctx);
    if (win)
        SDL_DestroyWindow(win);
    SDL_Quit();
    for (int i = 0; i < v.count; i++)
        free(v.names[i]);
    return rc;
}
