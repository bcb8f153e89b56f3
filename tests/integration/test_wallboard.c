/* test_wallboard.c -- `callpulse wallboard` in a pseudo-terminal (tmux):
 * board messages, an alert and a reward are produced to the output
 * topics; the screen must show the board's top entries with their ranks,
 * moves, scores and tiers, the alert and the reward; follow a newer
 * message; redraw at a new size after a resize; show the next board on
 * Tab; and exit 0 on q and on Ctrl-C. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

#define T0 1795392000000LL

typedef struct tmux {
    h_env *e;
    char sock[600], status[600];
} tmux;

/* Run tmux with args; its output goes to `out` (a path; NULL: nowhere). */
static int tmux_run(const tmux *t, const char *args, const char *out) {
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "tmux -S '%s' -f /dev/null %s >'%s' 2>/dev/null", t->sock, args,
             out ? out : "/dev/null");
    return system(cmd);
}

static int tmux_cmd(const tmux *t, const char *args) {
    return tmux_run(t, args, NULL);
}

/* A wallboard in a detached 100x30 session named `name`; its exit status
 * goes to a file. A timeout ends it should the test die first. */
static void tmux_start(tmux *t, h_env *e, const char *name) {
    char args[3000];
    t->e = e;
    snprintf(t->sock, sizeof(t->sock), "%s/tmux.sock", e->dir);
    snprintf(t->status, sizeof(t->status), "%s/%s.status", e->dir, name);
    snprintf(args, sizeof(args),
             "new-session -d -x 100 -y 30 -s %s \"LC_ALL=C.UTF-8 timeout --foreground 120 '%s' "
             "wallboard "
             "--brokers '%s' --board all:15m 2>'%s/%s.log'; echo \\$? >'%s'; sleep 30\"",
             name, e->bin, e->brokers, e->dir, name, t->status);
    ck_assert_int_eq(tmux_cmd(t, args), 0);
}

/* The screen's text (static buffer). */
static const char *screen(const tmux *t, const char *name) {
    static char text[1 << 16];
    char path[700], args[1000];
    snprintf(path, sizeof(path), "%s/screen.txt", t->e->dir);
    snprintf(args, sizeof(args), "capture-pane -p -t %s", name);
    text[0] = '\0';
    if (tmux_run(t, args, path) != 0)
        return text;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    return text;
}

/* Wait until the screen shows every one of the texts. */
static const char *wait_screen(const tmux *t, const char *name, const char *const *texts) {
    const char *s = "";
    for (int i = 0; i < 200; i++) {
        int all = 1;
        s = screen(t, name);
        for (const char *const *x = texts; *x && all; x++)
            all = strstr(s, *x) != NULL;
        if (all)
            return s;
        h_sleep_ms(100);
    }
    ck_abort_msg("the screen never showed '%s' ...:\n%s", texts[0], s);
    return s;
}

/* The exit status the wallboard wrote, waiting for it. */
static int wait_status(const tmux *t) {
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(t->status, "r");
        int st = -1;
        if (f) {
            int got = fscanf(f, "%d", &st);
            fclose(f);
            if (got == 1)
                return st;
        }
        h_sleep_ms(100);
    }
    return -1;
}

/* Columns of the widest line (UTF-8 characters, all one column here). */
static int widest(const char *s) {
    int w = 0, max = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            w = 0;
            continue;
        }
        if (((unsigned char)*s & 0xc0) != 0x80 && ++w > max)
            max = w;
    }
    return max;
}

static void produce_board(rd_kafka_t *p, const char *board, int seq, const char *entries) {
    char msg[2048];
    snprintf(msg, sizeof(msg),
             "{\"board\":\"%s\",\"scope\":\"all\",\"window\":\"15m\",\"as_of\":%lld,\"seq\":%d,"
             "\"size\":3,\"entries\":[%s]}",
             board, T0 + seq * 1000, seq, entries);
    h_produce(p, "leaderboard-updates", board, strlen(board), msg, strlen(msg), NULL, NULL);
}

static const char *ENTRIES_1 =
    "{\"rank\":1,\"agent_id\":\"a3\",\"team_id\":\"t1\",\"score\":95.5,\"tier\":\"excellent\","
    "\"prev_rank\":2},{\"rank\":2,\"agent_id\":\"a1\",\"team_id\":\"t2\",\"score\":88.0,"
    "\"tier\":\"good\",\"prev_rank\":1},{\"rank\":3,\"agent_id\":\"a9\",\"team_id\":\"t1\","
    "\"score\":41.2,\"tier\":\"needs_improvement\",\"prev_rank\":null}";
static const char *ENTRIES_2 =
    "{\"rank\":1,\"agent_id\":\"a1\",\"team_id\":\"t2\",\"score\":97.0,\"tier\":\"excellent\","
    "\"prev_rank\":2},{\"rank\":2,\"agent_id\":\"a3\",\"team_id\":\"t1\",\"score\":95.5,"
    "\"tier\":\"excellent\",\"prev_rank\":1}";

START_TEST(test_wallboard_in_a_terminal) {
    h_env e;
    tmux t;
    h_env_start(&e, 2);
    rd_kafka_t *p = h_producer(&e);
    produce_board(p, "all:15m", 1, ENTRIES_1);
    produce_board(p, "team:t1:15m", 1,
                  "{\"rank\":1,\"agent_id\":\"a3\",\"team_id\":\"t1\",\"score\":95.5,"
                  "\"tier\":\"excellent\",\"prev_rank\":null}");
    const char *alert = "{\"alert_id\":\"aht-high:a9:1:firing\",\"state\":\"firing\","
                        "\"severity\":\"warning\",\"agent_id\":\"a9\",\"as_of\":1795392001000,"
                        "\"message\":\"Agent a9 (team t1): average handle time is high.\"}";
    const char *reward = "{\"reward_id\":\"csat-5:a3:e1\",\"agent_id\":\"a3\",\"points\":10,"
                         "\"as_of\":1795392002000,\"message\":\"a3 earned 10 points.\"}";
    h_produce(p, "agent-alerts", "a9", 2, alert, strlen(alert), NULL, NULL);
    h_produce(p, "agent-rewards", "a3", 2, reward, strlen(reward), NULL, NULL);

    tmux_start(&t, &e, "wb");
    const char *first[] = {"seq 1",
                           "   1  \xe2\x96\xb2"
                           "1    a3                t1           95.5  excellent",
                           "   2  \xe2\x96\xbc"
                           "1    a1                t2           88.0  good",
                           "   3  new   a9                t1           41.2  needs_improvement",
                           "warning   Agent a9 (team t1): average handle time is high.",
                           "+10       a3 earned 10 points.",
                           NULL};
    const char *s = wait_screen(&t, "wb", first);
    ck_assert_ptr_nonnull(strstr(s, "callpulse wallboard   all:15m"));

    produce_board(p, "all:15m", 2, ENTRIES_2); /* live: a1 overtakes a3 */
    const char *second[] = {"seq 2",
                            "   1  \xe2\x96\xb2"
                            "1    a1",
                            NULL};
    s = wait_screen(&t, "wb", second);
    ck_assert_ptr_null(strstr(s, "new   a9")); /* off the board, still in the alerts */

    ck_assert_int_eq(tmux_cmd(&t, "resize-window -t wb -x 50 -y 16"), 0);
    const char *narrow[] = {"LATEST REWARDS", "a1", NULL};
    for (int i = 0; i < 50 && widest(s = screen(&t, "wb")) > 50; i++)
        h_sleep_ms(100);
    s = wait_screen(&t, "wb", narrow);
    ck_assert_msg(widest(s) <= 50, "wider than 50 columns after the resize:\n%s", s);
    ck_assert_ptr_nonnull(strstr(s, "all:15m"));

    ck_assert_int_eq(tmux_cmd(&t, "send-keys -t wb Tab"), 0);
    const char *next[] = {"team:t1:15m", NULL};
    wait_screen(&t, "wb", next);

    ck_assert_int_eq(tmux_cmd(&t, "send-keys -t wb q"), 0);
    ck_assert_int_eq(wait_status(&t), 0);

    tmux_start(&t, &e, "wb2"); /* and Ctrl-C */
    wait_screen(&t, "wb2", second);
    ck_assert_int_eq(tmux_cmd(&t, "send-keys -t wb2 C-c"), 0);
    ck_assert_int_eq(wait_status(&t), 0);

    tmux_cmd(&t, "kill-server");
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

/* Alerts keep arriving while --once reads, as they do in the demo. */
typedef struct grower {
    rd_kafka_t *p;
    volatile int stop;
    pthread_t thread;
} grower;

static void *grow(void *arg) {
    grower *g = arg;
    for (int i = 0; !g->stop; i++) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "{\"alert_id\":\"g%d\",\"agent_id\":\"a1\",\"as_of\":%lld,"
                 "\"message\":\"growing\"}",
                 i, T0 + i);
        h_produce_nowait(g->p, "agent-alerts", "a1", 2, msg, strlen(msg));
        rd_kafka_poll(g->p, 0);
        h_sleep_ms(2);
    }
    return NULL;
}

/* --once reads every partition to its end and prints the latest view,
 * also while other partitions grow and report their end again and again.
 * Before the fix every report of an end counted, and in about half the
 * runs here it stopped early with an older seq of the board. */
START_TEST(test_once_reads_to_the_end) {
    enum { N = 20000 };
    h_env e;
    h_proc once;
    grower g = {0};
    h_env_start(&e, 4);
    rd_kafka_t *p = h_producer(&e);
    for (int seq = 1; seq <= N; seq++) {
        char msg[512];
        snprintf(msg, sizeof(msg),
                 "{\"board\":\"all:15m\",\"as_of\":%lld,\"seq\":%d,\"size\":1,\"entries\":["
                 "{\"rank\":1,\"agent_id\":\"a%d\",\"team_id\":\"t1\",\"score\":90.0,"
                 "\"tier\":\"excellent\",\"prev_rank\":null}]}",
                 T0 + seq, seq, seq);
        h_produce_nowait(p, "leaderboard-updates", "all:15m", 7, msg, strlen(msg));
    }
    h_flush(p);
    g.p = h_producer(&e);
    ck_assert_int_eq(pthread_create(&g.thread, NULL, grow, &g), 0);
    h_sleep_ms(300);
    char *argv[] = {"wallboard", "--brokers", e.brokers, "--once", NULL};
    h_spawn(&e, &once, "once", argv);
    int rc = h_wait(&once, 30000);
    g.stop = 1;
    pthread_join(g.thread, NULL);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(h_wait_log(&once, "seq 20000", 0) == 0, "not the latest view (see %s)", once.log);
    ck_assert_msg(h_wait_log(&once, "a20000 ", 0) == 0, "not the latest entries (see %s)",
                  once.log);
    rd_kafka_destroy(g.p);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

Suite *wallboard_suite(void) {
    Suite *s = suite_create("wallboard");
    TCase *tc = tcase_create("tmux");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_wallboard_in_a_terminal);
    tcase_add_test(tc, test_once_reads_to_the_end);
    suite_add_tcase(s, tc);
    return s;
}
