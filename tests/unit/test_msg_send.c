/* test_msg_send: UDP_DATA on the receiving end of a datagram stream
 * (msg_udp_deliver, as an sudp visitor and a udp proxy's server side run it):
 * each frame reaches the sender its session id names, and only that one;
 * unknown ids, short payloads and other frame types go nowhere. Real UDP
 * sockets on 127.0.0.1; loopback delivery is synchronous, so each check reads
 * without waiting. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "net/udp_sessions.h"
#include "proto/frame.h"
#include "proto/msg.h"
#include "proto/msg_send.h"
#include "testlib.h"

/* A plain UDP socket on 127.0.0.1, its address in *sa. */
static int sender(struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof *sa;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 ||
        getsockname(fd, (struct sockaddr *)sa, &len) != 0)
        return -1;
    return fd;
}

/* A frame of `type` whose payload is UDP_DATA for `sid` carrying `text`
 * (or only the first `cut` payload bytes when cut > 0); decoded into *f. */
static void udp_frame(uint8_t *buf, uint8_t type, uint32_t sid, const char *text, size_t cut,
                      frame_t *f)
{
    size_t n = strlen(text);
    memcpy(buf + MSG_UDP_HDR_LEN, text, n);
    size_t total = msg_udp_header(buf, sid, n);
    buf[FRAME_HDR_LEN - 1] = type;
    CHECK(frame_decode(buf, total, f) > 0);
    if (cut) f->len = (uint32_t)cut;
}

/* What fd has waiting, "" when nothing. */
static const char *got(int fd, char *out, size_t size)
{
    ssize_t n = recv(fd, out, size - 1, MSG_DONTWAIT);
    out[n > 0 ? n : 0] = '\0';
    return out;
}

static void test_each_reply_to_its_sender(void)
{
    uv_loop_t loop;
    uv_udp_t sock;
    struct sockaddr_in me, a, b;
    uv_ip4_addr("127.0.0.1", 0, &me);
    CHECK_EQ_INT(uv_loop_init(&loop), 0);
    CHECK_EQ_INT(uv_udp_init(&loop, &sock), 0);
    CHECK_EQ_INT(uv_udp_bind(&sock, (struct sockaddr *)&me, 0), 0);
    int fa = sender(&a), fb = sender(&b);
    CHECK(fa >= 0 && fb >= 0);
    udp_sessions_t t;
    udp_sessions_init(&t, 4, 1000, NULL, NULL);
    udp_sess_t *sa = udp_sessions_by_peer(&t, (struct sockaddr *)&a, 1);
    udp_sess_t *sb = udp_sessions_by_peer(&t, (struct sockaddr *)&b, 2);
    CHECK(sa && sb && sa->id != sb->id);
    uint8_t buf[256];
    char r[64];
    frame_t f;

    udp_frame(buf, MSG_UDP_DATA, sb->id, "to-b", 0, &f);
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 3), 0);
    udp_frame(buf, MSG_UDP_DATA, sa->id, "to-a", 0, &f);
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 4), 0);
    CHECK_EQ_STR(got(fa, r, sizeof r), "to-a");
    CHECK_EQ_STR(got(fb, r, sizeof r), "to-b");
    CHECK(t.head == sa && sa->last == 4); /* a reply marks its session used */

    udp_frame(buf, MSG_UDP_DATA, 999, "nobody", 0, &f); /* unknown id */
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 5), 0);
    udp_frame(buf, MSG_UDP_DATA, sa->id, "short", 3, &f); /* no room for the id */
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 6), 0);
    udp_frame(buf, MSG_PING, sa->id, "not-udp", 0, &f); /* another type */
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 7), 0);
    CHECK_EQ_STR(got(fa, r, sizeof r), "");
    CHECK_EQ_STR(got(fb, r, sizeof r), "");

    udp_frame(buf, MSG_UDP_DATA, sb->id, "", 0, &f); /* an empty datagram is one */
    CHECK_EQ_INT(msg_udp_deliver(&sock, &t, &f, 8), 0);
    CHECK_EQ_INT(recv(fb, r, sizeof r, MSG_DONTWAIT), 0);

    udp_sessions_clear(&t);
    close(fa);
    close(fb);
    uv_close((uv_handle_t *)&sock, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_EQ_INT(uv_loop_close(&loop), 0);
}

int main(void)
{
    RUN(test_each_reply_to_its_sender);
    return TEST_SUMMARY();
}
