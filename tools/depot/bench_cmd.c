/* bench_cmd.c — `depot bench [pool|asset|load|render|all]`: runs the depot-bench program
 * that is built and installed beside this one (else the first on PATH), so the output is
 * exactly depot-bench's: one "BENCH <name> <value> <unit>" line per measurement. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static void usage(FILE *f)
{
    fputs("usage: depot bench [pool|asset|load|render|all]\n"
          "\n"
          "Runs the benchmarks of one layer (default: all) with depot-bench, found next to\n"
          "this program or on PATH. Prints one 'BENCH <name> <value> <unit>' line per\n"
          "measurement, baselines included.\n"
          "\n"
          "Exit codes: 0 ok, 1 a benchmark failed, 2 usage error, 3 depot-bench not found.\n",
          f);
}

int tool_bench(int argc, char **argv)
{
    static const char *const names[] = {"pool", "asset", "load", "render", "all"};
    const char *which = "all";
    if (argc > 2) {
        fprintf(stderr, "depot bench: one benchmark name at most\nrun 'depot bench --help' for usage\n");
        return TOOL_EXIT_USAGE;
    }
    if (argc == 2) {
        if (tool_is_help(argv[1])) {
            usage(stdout);
            return TOOL_EXIT_OK;
        }
        which = argv[1];
    }
    bool known = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        known |= !strcmp(which, names[i]);
    if (!known) {
        fprintf(stderr, "depot bench: unknown benchmark '%s' (pool, asset, load, render, all)\n",
                which);
        return TOOL_EXIT_USAGE;
    }
    fflush(stdout);
    char dir[PATH_MAX], path[PATH_MAX + 16];
    char *args[] = {"depot-bench", (char *)which, NULL};
    int err_local = ENOENT;
    if (tool_exe_dir(dir, sizeof dir) &&
        snprintf(path, sizeof path, "%s/depot-bench", dir) < (int)sizeof path &&
        access(path, X_OK) == 0) {
        execv(path, args);
        err_local = errno;
    }
    execvp("depot-bench", args);
    fprintf(stderr, "depot bench: cannot run depot-bench (next to depot: %s; on PATH: %s); "
                    "build it with the DEPOT_BENCH option\n",
            strerror(err_local), strerror(errno));
    return TOOL_EXIT_IO;
}
