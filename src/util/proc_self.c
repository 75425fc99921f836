/* proc_self: see proc_self.h. */
#include "util/proc_self.h"

#include <stdio.h>

#ifdef __linux__
#include <dirent.h>
#include <unistd.h>

long long proc_self_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = -1;
    if (!f) return -1;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = -1;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return resident < 0 || page <= 0 ? -1 : resident * page;
}

int proc_self_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}
#else
long long proc_self_rss_bytes(void)
{
    return -1;
}

int proc_self_open_fds(void)
{
    return -1;
}
#endif
