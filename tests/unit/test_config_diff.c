/* test_config_diff: what a hot reload sees between two client configs
 * (config/config_diff.h). Each case edits a base frpc.toml and names the
 * classification every proxy and visitor must get, or the client-level key
 * that must be reported. */
#include <stdlib.h>
#include <string.h>

#include "config/config_diff.h"
#include "testlib.h"

#define HEAD "serverAddr = \"10.0.0.1\"\nauth.token = \"t\"\n"
#define PA "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 22\nremotePort = 6000\n"
#define PB "[[proxies]]\nname = \"b\"\ntype = \"tcp\"\nlocalPort = 80\nremotePort = 6001\n"
#define PC                                                                                         \
    "[[proxies]]\nname = \"c\"\ntype = \"http\"\nlocalPort = 8080\ncustomDomains = "               \
    "[\"x.example.com\"]\n"
#define VS                                                                                         \
    "[[visitors]]\nname = \"v\"\ntype = \"stcp\"\nserverName = \"s\"\nsecretKey = "                \
    "\"k\"\nbindPort = 9000\n"

static const char base[] = HEAD PA PB PC VS;

typedef struct dcase {
    const char *what;
    const char *text;
    const char *old_want; /* one letter per base proxy: k(ept) c(hanged) r(emoved) */
    const char *new_want; /* one letter per new proxy: k c a(dded) */
    const char *vis_want; /* per base visitor, then per new visitor */
    const char *key;      /* client-level key reported, or NULL */
} dcase_t;

/* clang-format off */
static const dcase_t cases[] = {
    {"same text", HEAD PA PB PC VS, "kkk", "kkk", "k/k", NULL},
    {"reordered, blank lines", HEAD "\n" PC PA "\n" PB VS, "kkk", "kkk", "k/k", NULL},
    {"b removed", HEAD PA PC VS, "krk", "kk", "k/k", NULL},
    {"d added", HEAD PA PB PC VS "[[proxies]]\nname = \"d\"\ntype = \"udp\"\nlocalPort = 53\n",
     "kkk", "kkka", "k/k", NULL},
    {"a's remote port", HEAD "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 22\nremotePort = 6002\n" PB PC VS,
     "ckk", "ckk", "k/k", NULL},
    {"a's type", HEAD "[[proxies]]\nname = \"a\"\ntype = \"udp\"\nlocalPort = 22\nremotePort = 6000\n" PB PC VS,
     "ckk", "ckk", "k/k", NULL},
    {"a's default localIP spelled out", HEAD "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalIP = \"127.0.0.1\"\nlocalPort = 22\nremotePort = 6000\n" PB PC VS,
     "kkk", "kkk", "k/k", NULL},
    {"c's domain list", HEAD PA PB "[[proxies]]\nname = \"c\"\ntype = \"http\"\nlocalPort = 8080\ncustomDomains = [\"x.example.com\", \"y.example.com\"]\n" VS,
     "kkc", "kkc", "k/k", NULL},
    {"c's header set", HEAD PA PB PC "requestHeaders.set.x-a = \"1\"\n" VS, "kkc", "kkc", "k/k", NULL},
    {"b renamed", HEAD PA "[[proxies]]\nname = \"b2\"\ntype = \"tcp\"\nlocalPort = 80\nremotePort = 6001\n" PC VS,
     "krk", "kak", "k/k", NULL},
    {"visitor's port", HEAD PA PB PC "[[visitors]]\nname = \"v\"\ntype = \"stcp\"\nserverName = \"s\"\nsecretKey = \"k\"\nbindPort = 9001\n",
     "kkk", "kkk", "c/c", NULL},
    {"visitor removed", HEAD PA PB PC, "kkk", "kkk", "r/", NULL},
    {"server address", "serverAddr = \"10.0.0.2\"\nauth.token = \"t\"\n" PA PB PC VS, "kkk", "kkk", "k/k", "serverAddr"},
    {"token", "serverAddr = \"10.0.0.1\"\nauth.token = \"u\"\n" PA PB PC VS, "kkk", "kkk", "k/k", "auth.token"},
    {"pool", HEAD "transport.poolCount = 3\n" PA PB PC VS, "kkk", "kkk", "k/k", "transport.poolCount"},
    {"admin password", HEAD "webServer.port = 7400\nwebServer.password = \"p\"\n" PA PB PC VS, "kkk", "kkk", "k/k", "webServer.port"},
    {"log level", HEAD "log.level = \"debug\"\n" PA PB PC VS, "kkk", "kkk", "k/k", "log.level"},
    {"a wakeOnLan entry", HEAD PA PB PC VS "[[wakeOnLan]]\nname = \"pc\"\nmac = \"aabbccddee01\"\n",
     "kkk", "kkk", "k/k", "wakeOnLan"},
    {"a wakes pc", HEAD "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 22\nremotePort = 6000\nwakeOnLan = \"pc\"\n"
     PB PC VS "[[wakeOnLan]]\nname = \"pc\"\nmac = \"aabbccddee01\"\n", "ckk", "ckk", "k/k", "wakeOnLan"},
    {"ddns entry added", HEAD PA PB PC VS "[[ddns]]\nprovider = \"dyndns2\"\nname = \"a.example.net\"\nserver = \"https://u.example.net\"\nuser = \"u\"\npassword = \"p\"\n",
     "kkk", "kkk", "k/k", "ddns"},
    {"a joins a group", HEAD PA "loadBalancer.group = \"g\"\nloadBalancer.groupKey = \"k\"\n" PB PC VS,
     "ckk", "ckk", "k/k", NULL},
    {"b's health check", HEAD PA PB "healthCheck.type = \"tcp\"\nhealthCheck.intervalSeconds = 2\n" PC VS,
     "kck", "kck", "k/k", NULL},
    {"c's health headers", HEAD PA PB PC "healthCheck.type = \"http\"\nhealthCheck.path = \"/h\"\n"
     "healthCheck.httpHeaders = [{name = \"x-a\", value = \"1\"}]\n" VS, "kkc", "kkc", "k/k", NULL},
    {"ddns check interval", HEAD "ddnsCheckInterval = 60\n" PA PB PC VS, "kkk", "kkk", "k/k", "ddnsCheckInterval"},
};
/* clang-format on */

static int parse(const char *text, client_cfg_t *cfg)
{
    FILE *devnull = fopen("/dev/null", "w");
    int r = config_parse_client("frpc.toml", text, strlen(text), cfg, devnull);
    fclose(devnull);
    return r;
}

static char letter(cdiff_t d)
{
    return "kcar"[d];
}

static void run_case(const dcase_t *t, const client_cfg_t *old)
{
    client_cfg_t nw;
    if (parse(t->text, &nw) != 0) {
        fprintf(stderr, "case '%s': does not parse\n", t->what);
        CHECK(0);
        return;
    }
    const proxy_cfg_t *olds[8];
    cdiff_t oo[8], no[8], vo[8], vn[8];
    char got_old[9] = "", got_new[9] = "", got_vis[20] = "";
    for (int i = 0; i < old->n_proxies; i++)
        olds[i] = &old->proxies[i];
    config_diff_proxies(olds, old->n_proxies, nw.proxies, nw.n_proxies, oo, no);
    config_diff_visitors(old->visitors, old->n_visitors, nw.visitors, nw.n_visitors, vo, vn);
    for (int i = 0; i < old->n_proxies; i++)
        got_old[i] = letter(oo[i]);
    for (int j = 0; j < nw.n_proxies; j++)
        got_new[j] = letter(no[j]);
    size_t k = 0;
    for (int i = 0; i < old->n_visitors; i++)
        got_vis[k++] = letter(vo[i]);
    got_vis[k++] = '/';
    for (int j = 0; j < nw.n_visitors; j++)
        got_vis[k++] = letter(vn[j]);
    const char *key = config_client_key_diff(old, &nw);
    fprintf(stderr, "case '%s': old=%s new=%s vis=%s key=%s\n", t->what, got_old, got_new, got_vis,
            key ? key : "-");
    CHECK_EQ_STR(got_old, t->old_want);
    CHECK_EQ_STR(got_new, t->new_want);
    CHECK_EQ_STR(got_vis, t->vis_want);
    if (t->key)
        CHECK_EQ_STR(key, t->key);
    else
        CHECK(key == NULL);
    config_client_free(&nw);
}

static void test_cases(void)
{
    client_cfg_t old;
    CHECK_EQ_INT(parse(base, &old), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], &old);
    config_client_free(&old);
}

/* The new side is classified by name, whatever its order. */
/* Two configs with one [[ddns]] entry each: any field that differs is seen. */
static void test_ddns_fields(void)
{
    static const char *const variants[] = {
        "name = \"b.example.net\"\n",           "password = \"q\"\n", "user = \"v\"\n",
        "server = \"https://w.example.net\"\n", "caFile = \"/x\"\n",  "ipv6 = true\n",
    };
    const char *entry = "[[ddns]]\nprovider = \"dyndns2\"\n";
    const char *rest[] = {"name = \"a.example.net\"\n", "password = \"p\"\n", "user = \"u\"\n",
                          "server = \"https://u.example.net\"\n"};
    char a[1024], b[1024];
    client_cfg_t ca, cb;
    snprintf(a, sizeof a, HEAD "%s%s%s%s%s", entry, rest[0], rest[1], rest[2], rest[3]);
    CHECK_EQ_INT(parse(a, &ca), 0);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        size_t o = (size_t)snprintf(b, sizeof b, HEAD "%s", entry);
        for (size_t r = 0; r < 4; r++)
            if (strncmp(rest[r], variants[v], 4) != 0)
                o += (size_t)snprintf(b + o, sizeof b - o, "%s", rest[r]);
        snprintf(b + o, sizeof b - o, "%s", variants[v]);
        CHECK_EQ_INT(parse(b, &cb), 0);
        const char *key = config_client_key_diff(&ca, &cb);
        CHECK(key && strcmp(key, "ddns") == 0);
        config_client_free(&cb);
    }
    CHECK_EQ_INT(parse(a, &cb), 0);
    CHECK(config_client_key_diff(&ca, &cb) == NULL);
    config_client_free(&cb);
    config_client_free(&ca);
}

static void test_new_side_by_name(void)
{
    client_cfg_t old, nw;
    CHECK_EQ_INT(parse(base, &old), 0);
    CHECK_EQ_INT(parse(HEAD "[[proxies]]\nname = \"d\"\ntype = \"tcp\"\nlocalPort = 1\n" PC
                            "[[proxies]]\nname = \"a\"\ntype = \"tcp\"\nlocalPort = 23\n" VS,
                       &nw),
                 0);
    const proxy_cfg_t *olds[3] = {&old.proxies[0], &old.proxies[1], &old.proxies[2]};
    cdiff_t oo[3], no[3];
    config_diff_proxies(olds, 3, nw.proxies, nw.n_proxies, oo, no);
    CHECK_EQ_INT(oo[0], CDIFF_CHANGED); /* a */
    CHECK_EQ_INT(oo[1], CDIFF_REMOVED); /* b */
    CHECK_EQ_INT(oo[2], CDIFF_KEPT);    /* c */
    CHECK_EQ_INT(no[0], CDIFF_ADDED);   /* d */
    CHECK_EQ_INT(no[1], CDIFF_KEPT);    /* c */
    CHECK_EQ_INT(no[2], CDIFF_CHANGED); /* a */
    CHECK_EQ_STR(cdiff_name(CDIFF_REMOVED), "removed");
    config_client_free(&old);
    config_client_free(&nw);
}

int main(void)
{
    RUN(test_cases);
    RUN(test_ddns_fields);
    RUN(test_new_side_by_name);
    return TEST_SUMMARY();
}
