/* depot-bench — runs the benchmark of one layer or all of them.
 * Usage: depot-bench [pool|asset|load|render|formats|vk|pack|scale|deep|priority|progress|trace|collect|wait|all]
 *        depot-bench real DIR [DIR...]   (every PNG under the folders; not part of "all")
 * Output: one "BENCH <name> <value> <unit>" line per measurement, baselines included. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

double dp_bench_loadavg = -1;

static const struct {
    const char *name;
    int (*run)(void);
} benches[] = {
    {"pool", dp_bench_pool},
    {"asset", dp_bench_asset},
    {"load", dp_bench_load},
    {"render", dp_bench_render},
    {"pack", dp_bench_pack},
    {"formats", dp_bench_formats},
    {"vk", dp_bench_vk},
    {"scale", dp_bench_scale},
    {"priority", dp_bench_priority},
    {"progress", dp_bench_progress},
    {"deep", dp_bench_deep},
    {"trace", dp_bench_trace},
    {"collect", dp_bench_collect},
    {"wait", dp_bench_wait},
};

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "all";
    if (!strcmp(which, "-h") || !strcmp(which, "--help")) {
        printf("usage: depot-bench [pool|asset|load|render|formats|vk|pack|scale|deep|priority|progress|trace|collect|wait|all]\n"
               "       depot-bench real DIR [DIR...]  (every PNG under the folders)\n"
               "Prints one 'BENCH <name> <value> <unit>' line per measurement.\n");
        return 0;
    }
    dp_bench_loadavg = dp_bench_read_loadavg();
    dp_bench_report("machine.loadavg_1m", dp_bench_loadavg, "load");
    if (!strcmp(which, "real")) {
        if (argc < 3) {
            fprintf(stderr, "depot-bench real: name at least one folder\n");
            return 2;
        }
        return dp_bench_real(argc - 2, argv + 2);
    }
    int found = 0, rc = 0;
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        if (!strcmp(which, "all") || !strcmp(which, benches[i].name)) {
            found = 1;
            if (benches[i].run() != 0)
                rc = 1;
        }
    }
    if (!found) {
        fprintf(stderr, "depot-bench: unknown benchmark '%s' (pool, asset, load, render, formats, vk, pack, scale, deep, priority, progress, trace, collect, wait, all)\n", which);
        return 2;
    }
    return rc;
}
