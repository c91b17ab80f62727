/** @file depot.h
 * @brief Everything of depot in one include: pool, asset, load, render, diag.
 */
#ifndef DEPOT_DEPOT_H
#define DEPOT_DEPOT_H

#include "depot/common.h"
#include "depot/pool.h"
#include "depot/asset.h"
#include "depot/load.h"
#include "depot/gltf.h"
#include "depot/render.h"
#include "depot/diag.h"
#include "depot/pack.h"

#endif
