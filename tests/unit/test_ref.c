/* test_ref: the reference count releases exactly once, at the last drop. */
#include "util/ref.h"

#include <stdlib.h>

#include "testlib.h"

typedef struct obj {
    int id;
    ref_t ref;
} obj_t;

static int released, last_id;

static void obj_release(ref_t *r)
{
    obj_t *o = REF_OWNER(r, obj_t, ref);
    released++;
    last_id = o->id;
    free(o);
}

static void test_release_once(void)
{
    released = 0;
    obj_t *o = calloc(1, sizeof *o);
    o->id = 7;
    ref_init(&o->ref, 2, obj_release); /* e.g. a conn and a timer */
    ref_hold(&o->ref);                 /* around a callback */
    ref_drop(&o->ref);
    CHECK_EQ_INT(released, 0);
    ref_drop(&o->ref); /* the timer closed */
    CHECK_EQ_INT(released, 0);
    ref_drop(&o->ref); /* the conn closed */
    CHECK_EQ_INT(released, 1);
    CHECK_EQ_INT(last_id, 7);
}

int main(void)
{
    RUN(test_release_once);
    return TEST_SUMMARY();
}
