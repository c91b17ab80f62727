#include "tool.h"
int tool_demo(int argc, char **argv) { (void)argc; (void)argv; return 0; }
