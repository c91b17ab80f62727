/* png_codec.c — PNG to RGBA8 with libpng, and RGBA8 to PNG.
 *
 * libpng reports errors by calling an error function that must not return; ours longjmps
 * back to the setjmp in the function that created the png struct, which then frees
 * everything. Every allocation of a decode, libpng's own included, goes through the
 * caller's dp_allocator (png_create_read_struct_2 with memory hooks), so a failed
 * allocation is reported as DP_ERR_NOMEM and a counting allocator sees every byte. */
#include "load/png/png_codec.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "load/cancel.h"

/* The largest chunk libpng may allocate for ancillary data (text, ICC profiles). */
#define MAX_CHUNK_BYTES (8u << 20)

/* What one decode shares with libpng's callbacks: the allocator, the input cursor and why
 * it stopped. The fields written after setjmp are volatile so that their values survive
 * the longjmp back into dp__png_decode. */
typedef struct decoder {
    dp_allocator alloc;
    const unsigned char *bytes;
    size_t len, pos;
    volatile bool nomem;              /* an allocation failed */
    volatile dp_status status;        /* set before a deliberate png_error */
    dp_image *volatile img;           /* the image being filled, freed on error */
    volatile char msg[160];           /* libpng's (or our png_error's) words */
} decoder;

static png_voidp mem_alloc(png_structp png, png_alloc_size_t size)
{
    decoder *d = png_get_mem_ptr(png);
    void *p = dp__alloc(&d->alloc, size);
    if (!p)
        d->nomem = true;
    return p;
}

static void mem_free(png_structp png, png_voidp ptr)
{
    decoder *d = png_get_mem_ptr(png);
    dp__free(&d->alloc, ptr);
}

/* Never returns: keeps the message (for dp_failure) and jumps back to the setjmp of the
 * function that owns `png`. The writer has no decoder: its error pointer is NULL. */
static void on_error(png_structp png, png_const_charp msg)
{
    decoder *d = png_get_error_ptr(png);
    size_t i = 0;
    for (; d && msg && msg[i] && i + 1 < sizeof d->msg; i++)
        d->msg[i] = msg[i];
    if (d)
        d->msg[i] = 0;
    png_longjmp(png, 1);
}

/* Warnings (an odd ancillary chunk, say) are not failures and are not printed. */
static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Reads from the memory cursor; asking for more than is left is a truncated file. */
static void read_mem(png_structp png, png_bytep out, size_t n)
{
    decoder *d = png_get_io_ptr(png);
    if (n > d->len - d->pos)
        png_error(png, "truncated PNG");
    memcpy(out, d->bytes + d->pos, n);
    d->pos += n;
}

/* Everything after png_read_info's setjmp: checks the header, sets the transforms to
 * RGBA8, allocates the image and reads the rows. libpng errors longjmp out of here. */
static void decode_body(png_structp png, png_infop info, decoder *d, const struct dp_cancel *cancel)
{
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    /* Checked before anything the size of the image is allocated. */
    if (dp__image_too_big(w, h)) {
        d->status = DP_ERR_FORMAT;
        png_error(png, "image too large");
    }

    /* Palette to RGB, grey below 8 bits to 8, tRNS to alpha; 16 bits to 8; grey to RGB;
     * an opaque alpha byte where there is none (skipped by libpng when alpha exists). */
    png_set_expand(png);
    if (depth == 16)
        png_set_strip_16(png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
        png_set_gray_to_rgb(png);
    png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 4u || png_get_bit_depth(png, info) != 8) {
        d->status = DP_ERR_FORMAT;
        png_error(png, "unexpected transformed row size");
    }

    dp_image *img = NULL;
    dp_status s = dp__image_new(&d->alloc, w, h, &img);
    if (s != DP_OK) {
        d->status = s == DP_ERR_NOMEM ? DP_ERR_NOMEM : DP_ERR_FORMAT;
        png_error(png, "cannot allocate the image");
    }
    d->img = img;

    /* Row by row, each pass of an interlaced image filling its pixels into the full rows,
     * so that cancellation is seen between any two rows. */
    size_t stride = (size_t)w * 4u;
    for (int p = 0; p < passes; p++) {
        for (png_uint_32 y = 0; y < h; y++) {
            if (dp_cancelled(cancel)) {
                d->status = DP_ERR_CANCELLED;
                png_error(png, "cancelled");
            }
            png_read_row(png, img->pixels + (size_t)y * stride, NULL);
        }
    }
    /* Reads the chunks after the image data, checking the zlib stream's end and IEND. */
    png_read_end(png, NULL);
}

dp_status dp__png_decode(const dp_allocator *a, const void *bytes, size_t len,
                         const struct dp_cancel *cancel, dp_image **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!bytes && len > 0)
        return DP_ERR_INVALID;
    if (len < 8 || png_sig_cmp(bytes, 0, 8) != 0) {
        dp__cancel_why(cancel, "not a PNG file (no PNG signature)");
        return DP_ERR_FORMAT;
    }
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;

    decoder d;
    memset(&d, 0, sizeof d);
    dp__alloc_init(&d.alloc, a);
    d.bytes = bytes;
    d.len = len;
    d.status = DP_ERR_FORMAT;

    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &d, on_error, on_warning,
                                               &d, mem_alloc, mem_free);
    if (!png)
        return d.nomem ? DP_ERR_NOMEM : DP_ERR_FORMAT;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return DP_ERR_NOMEM;
    }

    /* `png` and `info` are not changed after setjmp, so they keep their values. */
    if (setjmp(png_jmpbuf(png))) {
        dp_status s = d.status;
        if (s == DP_ERR_FORMAT && d.nomem)
            s = DP_ERR_NOMEM;
        if (s == DP_ERR_FORMAT) {
            char msg[sizeof d.msg];
            for (size_t i = 0; i < sizeof msg; i++)
                msg[i] = d.msg[i];
            dp__cancel_why(cancel, "libpng: %s", msg);
        }
        dp__image_free(&d.alloc, d.img);
        png_destroy_read_struct(&png, &info, NULL);
        return s;
    }

    png_set_read_fn(png, &d, read_mem);
    png_set_user_limits(png, DP__PNG_MAX_SIDE, DP__PNG_MAX_SIDE);
    png_set_chunk_malloc_max(png, MAX_CHUNK_BYTES);
    decode_body(png, info, &d, cancel);

    png_destroy_read_struct(&png, &info, NULL);
    *out = d.img;
    return DP_OK;
}

/* Writes the header, the rows and the end; libpng errors longjmp out of here. */
static void write_body(png_structp png, png_infop info, FILE *f, uint32_t w, uint32_t h,
                       const unsigned char *rgba)
{
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)w * 4u;
    for (uint32_t y = 0; y < h; y++)
        png_write_row(png, rgba + (size_t)y * stride);
    png_write_end(png, NULL);
}

dp_status dp__png_write_file(const char *path, uint32_t w, uint32_t h, const unsigned char *rgba)
{
    if (!path || !rgba || dp__image_too_big(w, h))
        return DP_ERR_INVALID;

    FILE *f = fopen(path, "wb");
    if (!f)
        return DP_ERR_IO;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        remove(path);
        return DP_ERR_NOMEM;
    }
    /* `f`, `png` and `info` are not changed after setjmp, so they keep their values. */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        remove(path);
        return DP_ERR_IO;
    }
    write_body(png, info, f, w, h, rgba);
    png_destroy_write_struct(&png, &info);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        remove(path);
        return DP_ERR_IO;
    }
    return DP_OK;
}
