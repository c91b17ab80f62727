/* requires: sndfile */
/* test_sound.c — the sound codec (libsndfile): WAV, FLAC and Ogg Vorbis samples (tests/data,
 * made by make_sounds.c) decode to their formula's int16 frames (lossless ones exactly);
 * float sources are scaled and clipped; truncated, corrupt and oversized input fails with
 * DP_ERR_FORMAT, oversized before the samples are allocated; the "sound" type loads by
 * extension. */
#include <math.h>

#include "codec_check.h"
#include "depot/depot.h"
#include "load/sound/sound_codec.h"

#define FRAMES 400
#define RATE 8000

static int16_t saw(uint32_t i, uint32_t ch)
{
    int v = ((int)(i * 97) % 2001 - 1000) * 20;
    return (int16_t)(ch ? -v : v);
}

static dp_sound *decode_ok(const char *name, dp_test_alloc *ta)
{
    file_bytes fb = read_data(name);
    dp_sound *s = NULL;
    assert_int_equal(dp__sound_decode(&ta->iface, fb.bytes, fb.len, NULL, &s), DP_OK);
    assert_non_null(s);
    free(fb.bytes);
    return s;
}

static void check_saw(const char *name, uint32_t channels)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_sound *s = decode_ok(name, &ta);

    assert_int_equal(s->sample_rate, RATE);
    assert_int_equal(s->channels, channels);
    assert_int_equal(s->frames, FRAMES);
    for (uint32_t i = 0; i < FRAMES; i++)
        for (uint32_t c = 0; c < channels; c++)
            if (s->samples[i * channels + c] != saw(i, c))
                fail_msg("%s frame %u channel %u: got %d, want %d", name, i, c,
                         s->samples[i * channels + c], saw(i, c));
    dp__sound_free(&ta.iface, s);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void check_refused_sound(const char *name)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    biggest_alloc ba;
    biggest_init(&ba, &ta);
    dp_sound *s = (dp_sound *)&fb; /* must be overwritten with NULL */

    dp_status st = dp__sound_decode(&ba.iface, fb.bytes, fb.len, NULL, &s);

    if (st != DP_ERR_FORMAT)
        fail_msg("%s: %s", name, dp_status_str(st));
    assert_null(s);
    assert_true(ba.biggest < (1u << 20));
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_wav_16bit_stereo_decodes_exactly(void **state)
{
    check_saw("sound_saw_stereo.wav", 2);
}

static void test_flac_mono_and_stereo_decode_exactly(void **state)
{
    check_saw("sound_saw_mono.flac", 1);
    check_saw("sound_saw_stereo.flac", 2);
}

static void test_ogg_vorbis_decodes_close_to_its_sine(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_sound *s = decode_ok("sound_sine_stereo.ogg", &ta);

    assert_int_equal(s->sample_rate, RATE);
    assert_int_equal(s->channels, 2);
    assert_int_equal(s->frames, 800);
    /* Vorbis is lossy: the mean absolute error against the sine stays small. */
    double err = 0;
    for (uint32_t i = 0; i < 800; i++) {
        double want = 0.5 * sin(2.0 * M_PI * 500.0 * i / RATE) * 32767.0;
        err += fabs(s->samples[i * 2] - want) + fabs(s->samples[i * 2 + 1] - want);
    }
    err /= 1600.0;
    if (err > 1500.0)
        fail_msg("mean absolute error %.1f", err);
    dp__sound_free(&ta.iface, s);
    assert_int_equal(atomic_load(&ta.live), 0);
}

static void test_float_wav_is_scaled_and_clipped(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_sound *s = decode_ok("sound_float_ramp.wav", &ta);

    assert_int_equal(s->frames, 101);
    assert_int_equal(s->samples[0], -32768);  /* -1.5 */
    assert_int_equal(s->samples[100], 32767); /* 1.5 */
    assert_int_equal(s->samples[50], 0);
    assert_true(abs(s->samples[60] - 9830) <= 2); /* 0.3 */
    dp__sound_free(&ta.iface, s);
}

static void test_truncated_wav_fails_with_format(void **state)
{
    check_refused_sound("sound_truncated.wav");
}

static void test_truncated_flac_fails_with_format(void **state)
{
    check_refused_sound("sound_truncated.flac");
}

static void test_truncated_ogg_fails_with_format(void **state)
{
    check_refused_sound("sound_truncated.ogg");
}

static void test_too_many_channels_fails_with_format(void **state)
{
    check_refused_sound("sound_200_channels.wav");
}

static void test_huge_frame_count_fails_with_format_without_allocating(void **state)
{
    check_refused_sound("sound_huge_frames.flac");
}

static void check_every_prefix_sound(const char *name)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    for (size_t n = 0; n < fb.len; n++) {
        dp_sound *s = NULL;
        dp_status st = dp__sound_decode(&ta.iface, fb.bytes, n, NULL, &s);
        if (st != DP_ERR_FORMAT)
            fail_msg("%s cut at %zu of %zu: %s", name, n, fb.len, dp_status_str(st));
        assert_int_equal(atomic_load(&ta.live), 0);
    }
    free(fb.bytes);
}

static void test_every_prefix_of_a_wav_fails_with_format(void **state)
{
    check_every_prefix_sound("sound_saw_stereo.wav");
}

static void test_every_prefix_of_an_ogg_fails_with_format(void **state)
{
    check_every_prefix_sound("sound_sine_stereo.ogg");
}

static void test_every_prefix_of_a_flac_fails_with_format(void **state)
{
    check_every_prefix_sound("sound_saw_stereo.flac");
}

static void test_non_sound_fails_with_format_without_allocating(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_sound *s = NULL;
    const char text[] = "this is plain text and not any sound format at all, really";
    assert_int_equal(dp__sound_decode(&ta.iface, text, sizeof text, NULL, &s), DP_ERR_FORMAT);
    assert_int_equal(dp__sound_decode(&ta.iface, "", 0, NULL, &s), DP_ERR_FORMAT);
    assert_null(s);
    assert_int_equal(atomic_load(&ta.total), 0);
}

static void test_failed_allocation_gives_nomem_and_frees(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    dp_test_alloc_fail_at(&ta, 1);
    file_bytes fb = read_data("sound_saw_stereo.flac");
    dp_sound *s = NULL;

    assert_int_equal(dp__sound_decode(&ta.iface, fb.bytes, fb.len, NULL, &s), DP_ERR_NOMEM);

    assert_null(s);
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_cancelled_token_fails_with_cancelled(void **state)
{
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    struct dp_cancel c;
    dp__cancel_init(&c);
    dp__cancel_set(&c);
    file_bytes fb = read_data("sound_saw_stereo.wav");
    dp_sound *s = NULL;

    assert_int_equal(dp__sound_decode(&ta.iface, fb.bytes, fb.len, &c, &s), DP_ERR_CANCELLED);

    assert_null(s);
    assert_int_equal(atomic_load(&ta.total), 0);
    free(fb.bytes);
}

static void test_sound_type_loads_by_extension(void **state)
{
    dp_depot *dp = NULL;
    dp_desc d = {.root = DP_TEST_DATA, .workers = 2};
    assert_int_equal(dp_create(&d, &dp), DP_OK);
    dp_handle h, bad;
    assert_int_equal(dp_load(dp, "sound_saw_stereo.flac", &h), DP_OK);
    assert_int_equal(dp_load(dp, "sound_truncated.wav", &bad), DP_OK);

    assert_int_equal(dp_wait(dp, h, DP_TEST_WAIT_MS), DP_OK);
    assert_int_equal(dp_wait(dp, bad, DP_TEST_WAIT_MS), DP_ERR_FORMAT);

    assert_int_equal(dp_type_of(dp, h), dp_builtins(dp).sound);
    const dp_sound *s = dp_get(dp, h);
    assert_non_null(s);
    assert_int_equal(s->frames, FRAMES);
    assert_int_equal(s->samples[2 * 7 + 1], saw(7, 1));
    dp_release(dp, h);
    dp_release(dp, bad);
    assert_int_equal(dp_destroy(dp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wav_16bit_stereo_decodes_exactly),
        cmocka_unit_test(test_flac_mono_and_stereo_decode_exactly),
        cmocka_unit_test(test_ogg_vorbis_decodes_close_to_its_sine),
        cmocka_unit_test(test_float_wav_is_scaled_and_clipped),
        cmocka_unit_test(test_truncated_wav_fails_with_format),
        cmocka_unit_test(test_truncated_flac_fails_with_format),
        cmocka_unit_test(test_truncated_ogg_fails_with_format),
        cmocka_unit_test(test_too_many_channels_fails_with_format),
        cmocka_unit_test(test_huge_frame_count_fails_with_format_without_allocating),
        cmocka_unit_test(test_every_prefix_of_a_wav_fails_with_format),
        cmocka_unit_test(test_every_prefix_of_an_ogg_fails_with_format),
        cmocka_unit_test(test_every_prefix_of_a_flac_fails_with_format),
        cmocka_unit_test(test_non_sound_fails_with_format_without_allocating),
        cmocka_unit_test(test_failed_allocation_gives_nomem_and_frees),
        cmocka_unit_test(test_cancelled_token_fails_with_cancelled),
        cmocka_unit_test(test_sound_type_loads_by_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
