/* trace_json.h — reading a lifetime trace (dp_trace_write's Chrome trace-event JSON) back in
 * tests, with cJSON: the whole text, an event's fields and args, and the rule every trace
 * keeps (begin/end pairs balance on every track, never closing more than was opened).
 * Tests that include it declare "requires: json". */
#ifndef DP_TEST_TRACE_JSON_H
#define DP_TEST_TRACE_JSON_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"
#include "testutil.h"

/* dp_trace_write's output as a string (free it). */
static inline char *dp_test_trace_text(dp_depot *dp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    assert_int_equal(dp_trace_write(dp, m), DP_OK);
    fclose(m);
    return buf;
}

/* The parsed trace of dp (cJSON_Delete it). */
static inline cJSON *dp_test_trace_json(dp_depot *dp)
{
    char *text = dp_test_trace_text(dp);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    return doc;
}

/* The parsed JSON file at path (cJSON_Delete it). */
static inline cJSON *dp_test_json_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (size_t)size, f);
    fclose(f);
    buf[n] = 0;
    cJSON *doc = cJSON_Parse(buf);
    free(buf);
    assert_non_null(doc);
    return doc;
}

static inline const char *dp_test_ev_str(const cJSON *e, const char *field)
{
    const cJSON *f = cJSON_GetObjectItem(e, field);
    return cJSON_IsString(f) ? f->valuestring : "";
}

static inline const char *dp_test_arg_str(const cJSON *e, const char *field)
{
    return dp_test_ev_str(cJSON_GetObjectItem(e, "args"), field);
}

static inline double dp_test_arg_num(const cJSON *e, const char *field)
{
    const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), field);
    return cJSON_IsNumber(f) ? f->valuedouble : -1;
}

/* B/E balance on every track (tid below 256), never closing more than was opened. */
static inline void dp_test_assert_balanced(const cJSON *events)
{
    int depth[256] = {0};
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        int tid = cJSON_GetObjectItem(e, "tid")->valueint;
        assert_true(tid >= 0 && tid < 256);
        if (!strcmp(dp_test_ev_str(e, "ph"), "B"))
            depth[tid]++;
        if (!strcmp(dp_test_ev_str(e, "ph"), "E"))
            assert_true(--depth[tid] >= 0);
    }
    for (int i = 0; i < 256; i++)
        assert_int_equal(depth[i], 0);
}

#endif
