/** @file depot.h
 * @brief Everything of depot in one include: pool, asset, load, render, diag.
 */
#ifndef DEPOT_DEPOT_H
#define DEPOT_DEPOT_H

#include "depot/common.h"
#include "depot/pool.h"

#endif
