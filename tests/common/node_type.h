/* node_type.h — a test asset type "node" (extension "node") whose content says what its
 * load does, line by line: "dep KEY" names a dependency (dp_ctx_load_dep), "fail" fails the
 * load with DP_ERR_FORMAT, "gate" blocks the worker at dp_test_node_gate until the test
 * opens it; any other line is data. A loaded node reports its content length as its byte size, so byte totals in
 * tests are exact. */
#ifndef DP_TEST_NODE_TYPE_H
#define DP_TEST_NODE_TYPE_H

#include "gate.h"

/* The gate every "gate" line blocks at (one per test process; dp_test_node_register
 * closes it). */
extern dp_test_gate dp_test_node_gate;

/* Registers "node" on dp (and closes the gate). DP_OK or dp_register_type's error. */
dp_status dp_test_node_register(dp_depot *dp, dp_type_id *out);

/* Adds mem://<path> with `text` as its content (asserts on failure). */
void dp_test_node_put(dp_depot *dp, const char *path, const char *text);

#endif
