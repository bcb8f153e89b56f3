/* test_keyset.c -- the hash set of keys with tags (keyset.h): random
 * operations checked against a plain array after every step (put, get,
 * remove, prune, iteration), keys of every length around the inline limit
 * and keys holding '\0'. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "suites.h"

#define ORACLE_MAX 4096

typedef struct oracle {
    char key[ORACLE_MAX][80];
    size_t len[ORACLE_MAX];
    int64_t tag[ORACLE_MAX];
    int n;
} oracle;

static int oracle_find(const oracle *o, const char *key, size_t len) {
    for (int i = 0; i < o->n; i++)
        if (o->len[i] == len && memcmp(o->key[i], key, len) == 0)
            return i;
    return -1;
}

/* Key number k: lengths 1..70 (across the inline limit), some with '\0'. */
static size_t make_key(unsigned k, char *buf) {
    size_t len = 1 + k % 70;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + (k * 7 + i) % 26);
    snprintf(buf, len + 1 > 12 ? 12 : len + 1, "%u", k);
    if (len > 12)
        buf[11] = 'x';
    if (k % 5 == 0 && len > 3)
        buf[2] = '\0'; /* "agent\0id" shaped */
    return len;
}

/* The set holds exactly what the oracle holds. */
static void check_same(const cp_keyset *s, const oracle *o) {
    ck_assert_uint_eq(s->n, (size_t)o->n);
    for (int i = 0; i < o->n; i++) {
        int64_t tag = -1;
        ck_assert_int_eq(cp_keyset_get(s, o->key[i], o->len[i], &tag), 1);
        ck_assert_int_eq(tag, o->tag[i]);
    }
    size_t at = 0, len, seen = 0;
    const char *key;
    int64_t tag;
    while (cp_keyset_next(s, &at, &key, &len, &tag)) {
        int i = oracle_find(o, key, len);
        ck_assert_int_ge(i, 0);
        ck_assert_int_eq(tag, o->tag[i]);
        ck_assert_int_eq(key[len], '\0');
        seen++;
    }
    ck_assert_uint_eq(seen, (size_t)o->n);
}

START_TEST(test_random_against_oracle) {
    static oracle o;
    cp_keyset s = {0};
    char key[80];
    memset(&o, 0, sizeof(o));
    srand(7 + (unsigned)_i);
    for (int step = 0; step < 6000; step++) {
        unsigned k = (unsigned)rand() % 900;
        size_t len = make_key(k, key);
        int64_t tag = rand() % 1000;
        int i = oracle_find(&o, key, len), op = rand() % 10;
        if (op < 6) {
            ck_assert_int_eq(cp_keyset_put(&s, key, len, tag), i < 0 ? 1 : 0);
            if (i < 0) {
                i = o.n++;
                memcpy(o.key[i], key, len);
                o.len[i] = len;
            }
            o.tag[i] = tag;
        } else if (op < 9) {
            ck_assert_int_eq(cp_keyset_remove(&s, key, len), i >= 0);
            if (i >= 0) {
                o.n--;
                memcpy(o.key[i], o.key[o.n], sizeof(o.key[0]));
                o.len[i] = o.len[o.n];
                o.tag[i] = o.tag[o.n];
            }
        } else {
            int64_t min = rand() % 300;
            size_t expect = 0;
            for (int j = o.n - 1; j >= 0; j--) {
                if (o.tag[j] >= min)
                    continue;
                expect++;
                o.n--;
                memcpy(o.key[j], o.key[o.n], sizeof(o.key[0]));
                o.len[j] = o.len[o.n];
                o.tag[j] = o.tag[o.n];
            }
            ck_assert_uint_eq(cp_keyset_prune(&s, min), expect);
        }
        if (step % 97 == 0 || step > 5900)
            check_same(&s, &o);
    }
    check_same(&s, &o);
    cp_keyset_clear(&s);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_int_eq(cp_keyset_get(&s, key, 1, NULL), 0);
    ck_assert_int_eq(cp_keyset_put(&s, "again", 5, 3), 1);
    cp_keyset_free(&s);
}
END_TEST

/* Prune passes over nothing when no tag is old enough, and the smallest
 * tag is kept up to date by puts and prunes. */
START_TEST(test_prune_min_tag) {
    cp_keyset s = {0};
    ck_assert_uint_eq(cp_keyset_prune(&s, 100), 0);
    for (int i = 0; i < 100; i++) {
        char k[8];
        snprintf(k, sizeof(k), "e%d", i);
        ck_assert_int_eq(cp_keyset_put(&s, k, strlen(k), 1000 + i), 1);
    }
    ck_assert_int_eq(s.min_tag, 1000);
    ck_assert_uint_eq(cp_keyset_prune(&s, 1000), 0);
    ck_assert_uint_eq(cp_keyset_prune(&s, 1050), 50);
    ck_assert_int_eq(s.min_tag, 1050);
    ck_assert_int_eq(cp_keyset_get(&s, "e49", 3, NULL), 0);
    ck_assert_int_eq(cp_keyset_get(&s, "e50", 3, NULL), 1);
    ck_assert_int_eq(cp_keyset_put(&s, "e50", 3, 5), 0); /* a new tag */
    ck_assert_int_eq(s.min_tag, 5);
    cp_keyset_free(&s);
}
END_TEST

START_TEST(test_long_keys) {
    cp_keyset s = {0};
    static char big[CP_KEYSET_KEY_MAX + 2];
    memset(big, 'k', sizeof(big));
    ck_assert_int_eq(cp_keyset_put(&s, big, CP_KEYSET_KEY_MAX + 1, 0), -1);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_int_eq(cp_keyset_put(&s, big, CP_KEYSET_KEY_MAX, 9), 1);
    ck_assert_int_eq(cp_keyset_put(&s, big, CP_KEYSET_INLINE, 8), 1);
    ck_assert_int_eq(cp_keyset_put(&s, big, CP_KEYSET_INLINE + 1, 7), 1);
    int64_t tag;
    ck_assert_int_eq(cp_keyset_get(&s, big, CP_KEYSET_KEY_MAX, &tag), 1);
    ck_assert_int_eq(tag, 9);
    ck_assert_int_eq(cp_keyset_remove(&s, big, CP_KEYSET_INLINE + 1), 1);
    ck_assert_int_eq(cp_keyset_get(&s, big, CP_KEYSET_INLINE, &tag), 1);
    ck_assert_int_eq(tag, 8);
    cp_keyset_free(&s);
}
END_TEST

Suite *keyset_suite(void) {
    Suite *s = suite_create("keyset");
    TCase *tc = tcase_create("keyset");
    tcase_add_loop_test(tc, test_random_against_oracle, 0, 4);
    tcase_add_test(tc, test_prune_min_tag);
    tcase_add_test(tc, test_long_keys);
    suite_add_tcase(s, tc);
    return s;
}
