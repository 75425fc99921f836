/* proc_self: this process's resident memory and open descriptors, for
 * /metrics. The one platform place that reads Linux's /proc; elsewhere
 * both answer -1 (the metric is then left out). */
#ifndef BURROW_PROC_SELF_H
#define BURROW_PROC_SELF_H

/* Resident set size in bytes, or -1. */
long long proc_self_rss_bytes(void);
/* Open file descriptors, or -1. */
int proc_self_open_fds(void);

#endif
