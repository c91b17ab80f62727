/* demo_vk.h — the Vulkan side of `depot demo --vulkan`: a headless device (lavapipe in CI)
 * with the validation layer when it is installed, depot's Vulkan backend in it, and one fence
 * per frame. The demo's frames record no draw commands: each frame is an empty submission
 * whose fence comes after that frame's uploads, so retirement waits for real GPU work. */
#ifndef DEPOT_TOOL_DEMO_VK_H
#define DEPOT_TOOL_DEMO_VK_H

#include <stddef.h>
#include <stdint.h>

#include "depot/render.h"

typedef struct demo_vk demo_vk;

/* Creates the device and the backend for images and atlas pages; fills *backend and a
 * one-line `name`. NULL on failure, with the reason in `why`. */
demo_vk *demo_vk_start(dp_type_id image, dp_type_id page, dp_render_backend *backend,
                       char *name, size_t name_cap, char *why, size_t why_cap);
/* Submits frame `frame` (its uploads, then an empty batch with the frame's fence). */
void demo_vk_submit(demo_vk *v, uint64_t frame);
/* The newest frame the GPU finished (waiting up to 200 ms for the oldest when `wait`). */
uint64_t demo_vk_completed(demo_vk *v, bool wait);
/* Waits for the queue to be idle (before dp_render_destroy). */
void demo_vk_idle(demo_vk *v);
/* Destroys backend and device (the validation layer's leak check runs here); returns how
 * many validation warnings and errors were reported in all. NULL gives 0. */
size_t demo_vk_finish(demo_vk *v);

#endif
