/* sound_codec.c — sound files to int16 PCM with libsndfile, read from memory through its
 * virtual I/O interface (the bytes never touch a file). */
#include "load/sound/sound_codec.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "load/cancel.h"

/* Frames decoded between two polls of the cancel token. */
#define BLOCK_FRAMES 4096

typedef struct mem_file {
    const unsigned char *bytes;
    sf_count_t len, pos;
} mem_file;

static sf_count_t vio_len(void *user)
{
    return ((mem_file *)user)->len;
}

static sf_count_t vio_seek(sf_count_t off, int whence, void *user)
{
    mem_file *m = user;
    sf_count_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    if ((off < 0 && -off > base) || (off > 0 && off > m->len - base))
        return -1;
    m->pos = base + off;
    return m->pos;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    mem_file *m = user;
    sf_count_t left = m->len - m->pos;
    if (count > left)
        count = left;
    if (count <= 0)
        return 0;
    memcpy(ptr, m->bytes + m->pos, (size_t)count);
    m->pos += count;
    return count;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr;
    (void)count;
    (void)user;
    return 0;
}

static sf_count_t vio_tell(void *user)
{
    return ((mem_file *)user)->pos;
}

/* A RIFF (WAV) file states its own length: fewer bytes than that is a cut file, which
 * libsndfile would otherwise load as a shorter sound. */
static bool riff_truncated(const unsigned char *b, size_t len)
{
    if (len < 12 || memcmp(b, "RIFF", 4) != 0)
        return false;
    uint64_t riff = (uint64_t)b[4] | (uint64_t)b[5] << 8 | (uint64_t)b[6] << 16 |
                    (uint64_t)b[7] << 24;
    return riff + 8u > len;
}

/* An Ogg file must be whole pages ("OggS", 27 header bytes, a segment table, the body)
 * ending with one flagged end-of-stream. Checked before libsndfile sees the bytes: a cut
 * stream would otherwise either load short or, in libsndfile 1.2.0, fail inside
 * sf_open_virtual and leak libvorbis's info block. */
static bool ogg_truncated(const unsigned char *b, size_t len)
{
    if (len < 4 || memcmp(b, "OggS", 4) != 0)
        return false;
    size_t pos = 0;
    bool eos = false;
    while (pos < len) {
        if (len - pos < 27 || memcmp(b + pos, "OggS", 4) != 0)
            return true;
        size_t nseg = b[pos + 26];
        if (len - pos - 27 < nseg)
            return true;
        size_t body = 0;
        for (size_t i = 0; i < nseg; i++)
            body += b[pos + 27 + i];
        size_t page = 27 + nseg + body;
        if (len - pos < page)
            return true;
        eos = (b[pos + 5] & 0x04) != 0;
        pos += page;
    }
    return !eos;
}

static bool header_ok(const SF_INFO *info)
{
    return info->channels > 0 && (unsigned)info->channels <= DP__SOUND_MAX_CHANNELS &&
           info->samplerate > 0 && (unsigned)info->samplerate <= DP__SOUND_MAX_RATE &&
           info->frames > 0 &&
           (uint64_t)info->frames <= DP__SOUND_MAX_SAMPLES / (unsigned)info->channels;
}

static bool is_float(const SF_INFO *info)
{
    int sub = info->format & SF_FORMAT_SUBMASK;
    return sub == SF_FORMAT_FLOAT || sub == SF_FORMAT_DOUBLE;
}

/* Float to int16: x * 32767 rounded, clipped to the int16 range (libsndfile's own
 * float-to-short read would need SFC_SET_SCALE_FLOAT_INT_READ, which scales by the file's
 * peak instead, so loudness would depend on the loudest sample). */
static void float_to_s16(const float *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = in[i] * 32767.0f;
        v = v < -32768.0f ? -32768.0f : v > 32767.0f ? 32767.0f : v;
        out[i] = (int16_t)lrintf(v);
    }
}

/* Reads up to `want` frames at `dst` (through `tmp` for float sources). */
static sf_count_t read_block(SNDFILE *sf, int16_t *dst, float *tmp, uint32_t channels,
                             sf_count_t want)
{
    if (!tmp)
        return sf_readf_short(sf, dst, want);
    sf_count_t got = sf_readf_float(sf, tmp, want);
    if (got > 0)
        float_to_s16(tmp, dst, (size_t)got * channels);
    return got;
}

/* Reads every declared frame in blocks; a short read is a truncated or corrupt stream. */
static dp_status read_frames(SNDFILE *sf, dp_sound *s, float *tmp, const struct dp_cancel *cancel)
{
    uint64_t done = 0;
    while (done < s->frames) {
        if (dp_cancelled(cancel))
            return DP_ERR_CANCELLED;
        uint64_t want = s->frames - done < BLOCK_FRAMES ? s->frames - done : BLOCK_FRAMES;
        sf_count_t got = read_block(sf, s->samples + done * s->channels, tmp, s->channels,
                                    (sf_count_t)want);
        if (got <= 0 || sf_error(sf) != SF_ERR_NO_ERROR)
            return DP_ERR_FORMAT;
        done += (uint64_t)got;
    }
    return DP_OK;
}

static dp_status sound_alloc(const dp_allocator *a, const SF_INFO *info, dp_sound **out)
{
    size_t head = (sizeof(dp_sound) + 15u) & ~(size_t)15u;
    size_t samples = (size_t)info->frames * (size_t)info->channels;
    unsigned char *block = dp__alloc(a, head + samples * sizeof(int16_t));
    if (!block)
        return DP_ERR_NOMEM;
    dp_sound *s = (dp_sound *)(void *)block;
    memset(s, 0, sizeof *s);
    s->sample_rate = (uint32_t)info->samplerate;
    s->channels = (uint32_t)info->channels;
    s->frames = (uint64_t)info->frames;
    s->samples = (int16_t *)(void *)(block + head);
    *out = s;
    return DP_OK;
}

dp_status dp__sound_decode(const dp_allocator *a, const void *bytes, size_t len,
                           const struct dp_cancel *cancel, dp_sound **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || (!bytes && len > 0))
        return DP_ERR_INVALID;
    if (len < 4 || riff_truncated(bytes, len) || ogg_truncated(bytes, len))
        return DP_ERR_FORMAT;
    if (dp_cancelled(cancel))
        return DP_ERR_CANCELLED;

    mem_file m = {bytes, (sf_count_t)len, 0};
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &m);
    if (!sf)
        return DP_ERR_FORMAT;
    dp_status st = DP_ERR_FORMAT;
    dp_sound *s = NULL;
    if (!header_ok(&info))
        goto done;
    float *tmp = NULL;
    if (is_float(&info)) {
        tmp = dp__calloc(a, (size_t)BLOCK_FRAMES * (size_t)info.channels, sizeof(float));
        st = tmp ? DP_OK : DP_ERR_NOMEM;
    } else {
        st = DP_OK;
    }
    if (st == DP_OK)
        st = sound_alloc(a, &info, &s);
    if (st == DP_OK)
        st = read_frames(sf, s, tmp, cancel);
    dp__free(a, tmp);
    if (st != DP_OK) {
        dp__sound_free(a, s);
        s = NULL;
    }
done:
    sf_close(sf);
    *out = s;
    return st;
}

void dp__sound_free(const dp_allocator *a, dp_sound *s)
{
    if (s)
        dp__free(a, s);
}

size_t dp__sound_bytes(const dp_sound *s)
{
    return ((sizeof(dp_sound) + 15u) & ~(size_t)15u) +
           (size_t)s->frames * s->channels * sizeof(int16_t);
}
