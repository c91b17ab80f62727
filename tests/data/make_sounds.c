/* make_sounds.c — writes the WAV, FLAC and Ogg Vorbis files depot's tests decode (run
 * once; the output is committed). Samples come from formulas that
 * tests/load/test_sound.c repeats; WAV and FLAC are lossless and compared exactly, Vorbis
 * within a tolerance. The hostile variants are valid files with fields patched or cut.
 *
 *   cc -O1 -o /tmp/make_sounds tests/data/make_sounds.c $(pkg-config --cflags --libs sndfile) \
 *      && /tmp/make_sounds tests/data
 */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAMES 400
#define RATE 8000

static const char *dir;

static short saw(int i, int ch)
{
    int v = ((i * 97) % 2001 - 1000) * 20;
    return (short)(ch ? -v : v);
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_short(const char *name, int format, int channels)
{
    char path[1024];
    path_of(path, sizeof path, name);
    SF_INFO info = {.samplerate = RATE, .channels = channels, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    short buf[FRAMES * 2];
    for (int i = 0; i < FRAMES; i++)
        for (int c = 0; c < channels; c++)
            buf[i * channels + c] = saw(i, c);
    if (!sf || sf_writef_short(sf, buf, FRAMES) != FRAMES) {
        fprintf(stderr, "%s: %s\n", name, sf_strerror(sf));
        exit(1);
    }
    sf_close(sf);
}

/* Float WAV: a ramp from -1.5 to 1.5, so the ends clip. */
static void write_float_wav(void)
{
    char path[1024];
    path_of(path, sizeof path, "sound_float_ramp.wav");
    SF_INFO info = {.samplerate = RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    float buf[101];
    for (int i = 0; i <= 100; i++)
        buf[i] = (float)(i - 50) * 0.03f;
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    if (!sf || sf_writef_float(sf, buf, 101) != 101)
        exit(1);
    sf_close(sf);
}

/* Vorbis: a 500 Hz sine at half scale, stereo. */
static void write_ogg(void)
{
    char path[1024];
    path_of(path, sizeof path, "sound_sine_stereo.ogg");
    SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_OGG | SF_FORMAT_VORBIS};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    float buf[800 * 2];
    for (int i = 0; i < 800; i++) {
        buf[i * 2] = 0.5f * (float)sin(2.0 * M_PI * 500.0 * i / RATE);
        buf[i * 2 + 1] = buf[i * 2];
    }
    if (!sf || sf_writef_float(sf, buf, 800) != 800) {
        fprintf(stderr, "ogg: %s\n", sf_strerror(sf));
        exit(1);
    }
    sf_close(sf);
}

static unsigned char *slurp(const char *name, long *len)
{
    char path[1024];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*len);
    if (fread(b, 1, (size_t)*len, f) != (size_t)*len)
        exit(1);
    fclose(f);
    return b;
}

static void put(const char *name, const unsigned char *b, long len)
{
    char path[1024];
    path_of(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
        exit(1);
}

static void hostile(void)
{
    long len;
    unsigned char *b = slurp("sound_saw_stereo.wav", &len);
    put("sound_truncated.wav", b, len - 100);
    /* fmt chunk: "fmt " at 12, channels at 22 (16-bit little endian). */
    b[22] = 200;
    put("sound_200_channels.wav", b, len);
    free(b);
    b = slurp("sound_saw_stereo.flac", &len);
    put("sound_truncated.flac", b, len / 2);
    /* STREAMINFO starts at 8: total samples are the low 4 bits of byte 21 and 22..25. */
    b[21] |= 0x0F;
    memset(b + 22, 0xFF, 4);
    put("sound_huge_frames.flac", b, len);
    free(b);
    b = slurp("sound_sine_stereo.ogg", &len);
    put("sound_truncated.ogg", b, len / 2);
    free(b);
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : ".";
    write_short("sound_saw_stereo.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2);
    write_short("sound_saw_mono.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 1);
    write_short("sound_saw_stereo.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2);
    write_float_wav();
    write_ogg();
    hostile();
    return 0;
}
