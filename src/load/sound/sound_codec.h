/* sound_codec.h — WAV, FLAC and Ogg Vorbis (anything libsndfile reads) to interleaved
 * 16-bit PCM: the "sound" type's decoder. */
#ifndef DEPOT_LOAD_SOUND_CODEC_H
#define DEPOT_LOAD_SOUND_CODEC_H

#include "depot/load.h"

#define DP__SOUND_MAX_CHANNELS 8u
#define DP__SOUND_MAX_RATE 384000u
#define DP__SOUND_MAX_SAMPLES (1u << 27) /* frames * channels: 256 MiB of int16 */

/* Decodes a sound file held in memory into a dp_sound allocated with `a` (one block; free
 * with dp__sound_free). 24/32-bit sources keep their top 16 bits (libsndfile); float sources become x * 32767
 * rounded and clipped. The
 * header is read first: more than DP__SOUND_MAX_CHANNELS channels, a rate over
 * DP__SOUND_MAX_RATE, or more than DP__SOUND_MAX_SAMPLES samples are refused before the
 * samples are allocated. A RIFF file shorter than its RIFF size, or a stream that ends
 * before the frame count its header declares, is truncated. libsndfile's own working
 * memory comes from malloc. `cancel` (may be NULL) is polled between blocks of frames.
 * DP_OK; DP_ERR_FORMAT (unknown, corrupt, truncated, over the limits); DP_ERR_CANCELLED;
 * DP_ERR_NOMEM; DP_ERR_INVALID (NULL out). */
dp_status dp__sound_decode(const dp_allocator *a, const void *bytes, size_t len,
                           const struct dp_cancel *cancel, dp_sound **out);

/* Frees a sound from dp__sound_decode. NULL is ignored. */
void dp__sound_free(const dp_allocator *a, dp_sound *s);

/* The bytes a sound occupies (struct and samples), for the asset byte size. */
size_t dp__sound_bytes(const dp_sound *s);

#endif
