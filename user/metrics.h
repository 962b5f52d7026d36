/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* metrics.h - a small registry of counters, gauges and histograms, rendered in the Prometheus text format. */
#ifndef WARDEN_METRICS_H
#define WARDEN_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A registry holds families (one name, one type, one help text, fixed label
 * names); a family holds series (one per set of label values). Rendering
 * follows the text exposition format 0.0.4: "# HELP" and "# TYPE" once per
 * family, label values escaped (backslash, quote, newline), histograms as
 * cumulative _bucket{le=...} series ending with +Inf, then _sum and _count.
 *
 * Label values are made safe when a series is created: invalid UTF-8 becomes
 * U+FFFD and values are cut at METRICS_MAX_VALUE bytes (on a character
 * boundary), so what a hostile client or app put into a route or a path can
 * neither break the output nor make two series render alike.
 *
 * Cardinality is bounded per family (METRICS_DEFAULT_MAX_SERIES unless set):
 * once a family holds that many series, a new label set is folded into the
 * series whose every label is METRICS_OTHER, and the registry counts it in
 * <prefix>metrics_series_folded_total{family="..."}.
 *
 * Single-threaded. Functions returning int give 0 or -errno; pointers are
 * NULL with errno set.
 */

#define METRICS_MAX_LABELS 4
#define METRICS_DEFAULT_MAX_SERIES 2000
#define METRICS_MAX_VALUE 256 /* bytes of one label value, at most */
#define METRICS_OTHER "other"
/* The Content-Type of the rendering. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

struct metrics;
struct metric_family;

/*
 * A registry. prefix names its own family of folded series ("warden_"
 * gives warden_metrics_series_folded_total); NULL or "" means none is
 * rendered. The caller owns the result (metrics__free).
 */
struct metrics *metrics__new(const char *prefix);
void metrics__free(struct metrics *m); /* and every family; accepts NULL */

/*
 * Add a family. name and label names must be valid Prometheus names
 * ([a-zA-Z_:][a-zA-Z0-9_:]*; labels without ':', not starting with "__",
 * "le" not allowed on histograms); labels is NULL-terminated (NULL: none,
 * at most METRICS_MAX_LABELS). A family without labels starts with its one
 * series at 0. bounds are the histogram's finite upper bounds, strictly
 * increasing (+Inf is implied). The registry owns the family; EINVAL for
 * a bad name, EEXIST for a name already registered.
 */
struct metric_family *metrics__counter(struct metrics *m, const char *name, const char *help,
				       const char *const *labels);
struct metric_family *metrics__gauge(struct metrics *m, const char *name, const char *help,
				     const char *const *labels);
struct metric_family *metrics__histogram(struct metrics *m, const char *name, const char *help,
					 const char *const *labels, const double *bounds,
					 size_t n_bounds);

/* Change the family's cap on series (>= 1). Series already there stay. */
void metrics__set_max_series(struct metric_family *f, size_t max);

/*
 * In every call below, values holds one value per label name of the family,
 * in order (NULL when it has none; a NULL value is ""). -EINVAL when the
 * call does not fit the family's type.
 */

/* Counter (by >= 0) or gauge: add by. */
int metrics__add(struct metric_family *f, const char *const *values, double by);
/*
 * Gauge: set. Counter: set the total, for counters kept elsewhere (the XDP
 * program's, the supervisor's); they should only grow.
 */
int metrics__set(struct metric_family *f, const char *const *values, double v);
/* Histogram: one observation. */
int metrics__observe(struct metric_family *f, const char *const *values, double v);
/*
 * Histogram: replace the whole state by a histogram kept elsewhere. counts
 * holds n = n_bounds + 1 per-bucket (not cumulative) counts, the last one
 * above every bound; sum is the sum of the observations.
 */
int metrics__set_histogram(struct metric_family *f, const char *const *values,
			   const uint64_t *counts, size_t n, double sum);

/*
 * Read back a counter or gauge (the value), or a histogram (its count).
 * 0, or -ENOENT when there is no such series.
 */
int metrics__get(const struct metric_family *f, const char *const *values, double *out);

size_t metrics__series(const struct metric_family *f); /* series in the family now */
uint64_t metrics__folded(const struct metric_family *f); /* updates folded into "other" */

/* The whole registry in the text format; malloc'd and NUL-terminated, the caller frees. */
char *metrics__render(const struct metrics *m, size_t *len);

/*
 * A copy of s that is valid UTF-8 (invalid bytes become U+FFFD) and at
 * most max bytes long, cut on a character boundary. The caller frees.
 */
char *metrics__utf8_clean(const char *s, size_t max);

#endif
