/* config_diff: what differs between two client configs, for hot reload
 * (client/reload.c). Pure: no I/O, no logging. Each comparison walks a
 * table of the struct's fields (kind and offset), so a new key is one row.
 *
 * A proxy or visitor is identified by its name: in the old set and the new
 * one, the same name is the same entry, KEPT when every field is equal
 * (source lines aside), CHANGED otherwise. */
#ifndef BURROW_CONFIG_DIFF_H
#define BURROW_CONFIG_DIFF_H

#include <stdbool.h>

#include "config/config.h"

typedef enum cdiff {
    CDIFF_KEPT,    /* in both, equal */
    CDIFF_CHANGED, /* in both, some field differs */
    CDIFF_ADDED,   /* only in the new set */
    CDIFF_REMOVED, /* only in the old set */
} cdiff_t;

/* "kept", "changed", "added", "removed". */
const char *cdiff_name(cdiff_t d);

/* Whether two entries are equal in every field but `line`. */
bool config_proxy_equal(const proxy_cfg_t *a, const proxy_cfg_t *b);
bool config_visitor_equal(const visitor_cfg_t *a, const visitor_cfg_t *b);

/* The frp key of the first client-level setting (everything but
 * [[proxies]] and [[visitors]]) that differs, or NULL when none does. */
const char *config_client_key_diff(const client_cfg_t *a, const client_cfg_t *b);

/* Classifies the running proxies `old` (n_old pointers, borrowed) against
 * the new list `nw` (n_new entries): old_out[i] is KEPT, CHANGED or
 * REMOVED; new_out[j] is KEPT, CHANGED or ADDED. Names are unique on each
 * side (the config checks that). */
void config_diff_proxies(const proxy_cfg_t *const *old, int n_old, const proxy_cfg_t *nw, int n_new,
                         cdiff_t *old_out, cdiff_t *new_out);

/* The same for visitors. */
void config_diff_visitors(const visitor_cfg_t *old, int n_old, const visitor_cfg_t *nw, int n_new,
                          cdiff_t *old_out, cdiff_t *new_out);

#endif
