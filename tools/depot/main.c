/* main.c — the `depot` command-line tool: dispatches to demo, inspect and bench. */
#include <string.h>

#include "tool.h"

static void usage(FILE *f)
{
    fputs("usage: depot COMMAND [ARGS...]\n"
          "\n"
          "depot manages the lifetime of game assets. This tool shows it at work.\n"
          "\n"
          "commands:\n"
          "  demo      a small game session on the example assets: background loading, frames\n"
          "            through the GL, Vulkan (--vulkan) or a null render backend, scene\n"
          "            switches that reuse shared assets, a hot swap, the dynamic atlas, and\n"
          "            a final leak check, from loose files or a pack (--pack); writes\n"
          "            depot-report.html\n"
          "  inspect   loads keys or bundle manifests from a folder or URL and reports the\n"
          "            dependency graph: bytes per root, shared assets, duplicates, missing\n"
          "            or failed dependencies, cycles (text, --json, --dot, --html)\n"
          "  bench     runs the benchmarks (depot-bench)\n"
          "  pack      builds a pack file from a folder or from what some keys reach, and\n"
          "            lists or verifies packs\n"
          "  catalog   writes the stable ids (and redirects of renamed files) of a folder\n"
          "  trace     answers from a lifetime trace (dp_trace_write): who held a key at an\n"
          "            update, leaks with the update and line of the acquire, longest loads\n"
          "\n"
          "Run 'depot COMMAND --help' for the options of a command.\n"
          "\n"
          "exit codes (every command):\n"
          "  0  ok, nothing wrong found\n"
          "  1  a leak, a missing or failed asset, or a failed step was found\n"
          "  2  usage error (bad command line)\n"
          "  3  I/O error (a file or folder could not be read or written)\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (tool_is_help(cmd) || !strcmp(cmd, "help")) {
        usage(stdout);
        return TOOL_EXIT_OK;
    }
    if (!strcmp(cmd, "demo"))
        return tool_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "inspect"))
        return tool_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "bench"))
        return tool_bench(argc - 1, argv + 1);
    if (!strcmp(cmd, "pack"))
        return tool_pack(argc - 1, argv + 1);
    if (!strcmp(cmd, "catalog"))
        return tool_catalog(argc - 1, argv + 1);
    if (!strcmp(cmd, "trace"))
        return tool_trace(argc - 1, argv + 1);
    fprintf(stderr, "depot: unknown command '%s' (demo, inspect, bench, pack, catalog, trace)\n"
                    "run 'depot --help' for usage\n", cmd);
    return TOOL_EXIT_USAGE;
}
