/* wallboard.c -- `callpulse wallboard`: a live terminal wallboard.
 *
 * Reads the three output topics with a consumer outside any group (it
 * commits nothing and disturbs no one): leaderboard-updates from the
 * beginning, so that it starts from the latest message of every board
 * (the topic is compacted in production: that is one message per board),
 * and the last CP_WALL_FEED alerts and rewards of each partition, then
 * everything new. The model and drawing are wallview.c's; this file owns
 * the terminal (raw keys, the alternate screen, redraw in place, resize)
 * and the Kafka consumer.
 *
 * Keys: q or Ctrl-C quit; Tab, n or b show the next board; p or B the
 * previous one. --once reads the topics to their end, prints one plain
 * frame to stdout and exits (for scripts and the demo). */
#include "wallboard.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "kafka_io.h"
#include "log.h"
#include "runtime.h"
#include "wallview.h"

#define REDRAW_MS    100   /* at most 10 frames a second */
#define ONCE_WAIT_MS 15000 /* --once: give up reading after this */
#define FRAME_CELL   24    /* bytes a cell may take with colours and UTF-8 */
#define MAX_COLS     1000  /* a frame is drawn for at most this screen */
#define MAX_ROWS     500

typedef struct wb_opts {
    const char *brokers, *board, *config_file;
    int once;
} wb_opts;

typedef struct wb_term {
    struct termios saved;
    int raw;  /* saved holds the settings to restore */
    int keys; /* stdin is a terminal we read keys from */
    int utf8; /* the locale's characters are UTF-8 */
    int cols, rows;
    char *frame; /* room for one frame of cols x rows */
    size_t size;
} wb_term;

static void usage(FILE *out) {
    fprintf(out, "usage: callpulse wallboard --brokers LIST [--board ID] [--once] [--config FILE]\n"
                 "\n"
                 "A live terminal wallboard: the chosen board's ranks, agents, teams, scores,\n"
                 "tiers and rank moves, with the latest alerts and rewards as they arrive.\n"
                 "\n"
                 "  --brokers LIST   bootstrap servers (or CALLPULSE_BROKERS)\n"
                 "  --board ID       the board shown first: all:WINDOW or team:TEAM:WINDOW\n"
                 "                   (default all:15m)\n"
                 "  --once           read the topics to their end, print one frame, exit\n"
                 "  --config FILE    take topic names and kafka.properties from a config\n"
                 "\n"
                 "Keys: q or Ctrl-C quit; Tab, n or b next board; p or B previous board.\n");
}

static int parse_opts(int argc, char **argv, wb_opts *o) {
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"board", required_argument, NULL, 'B'},
        {"config", required_argument, NULL, 'c'},  {"once", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    memset(o, 0, sizeof(*o));
    o->board = "all:15m";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->brokers = optarg;
            break;
        case 'B':
            o->board = optarg;
            break;
        case 'c':
            o->config_file = optarg;
            break;
        case 'o':
            o->once = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return cp_cli_unknown_option("wallboard");
        }
    }
    if (!cp_wall_board_id_ok(o->board)) {
        fprintf(stderr, "callpulse wallboard: --board: expected all:WINDOW or team:TEAM:WINDOW\n");
        return 2;
    }
    return cp_cli_no_operands("wallboard", argc, argv) ? 2 : -1;
}

/* ---- the terminal ------------------------------------------------------------------ */

static void write_all(const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* The screen's size (COLUMNS and LINES, else 100 x 40, when it is not a
 * terminal) and room for a frame of it; -1 on out of memory. */
static int term_size(wb_term *t) {
    struct winsize ws;
    const char *c = getenv("COLUMNS"), *r = getenv("LINES");
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
        t->cols = ws.ws_col;
        t->rows = ws.ws_row;
    } else {
        t->cols = c && atoi(c) > 0 ? atoi(c) : 100;
        t->rows = r && atoi(r) > 0 ? atoi(r) : 40;
    }
    t->cols = t->cols < MAX_COLS ? t->cols : MAX_COLS;
    t->rows = t->rows < MAX_ROWS ? t->rows : MAX_ROWS;
    size_t need = (size_t)t->cols * (size_t)t->rows * FRAME_CELL + 4096;
    if (need > t->size) {
        char *b = realloc(t->frame, need);
        if (!b)
            return -1;
        t->frame = b;
        t->size = need;
    }
    return 0;
}

/* Keys without Enter and without echo (signals stay on: Ctrl-C is SIGINT),
 * the alternate screen, no cursor. */
static void term_enter(wb_term *t) {
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
        struct termios raw = t->saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        t->raw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
        t->keys = t->raw;
    }
    write_all("\033[?1049h\033[?25l", 14);
}

static void term_leave(wb_term *t) {
    write_all("\033[?25h\033[?1049l", 14);
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->saved);
    t->raw = 0;
}

/* Draw a frame in place: home, every line cleared to its end, then the
 * rest of the screen cleared. */
static void draw(const cp_wall *w, wb_term *t) {
    cp_wall_render(w, t->cols, t->rows, CP_WALL_TTY | (t->utf8 ? CP_WALL_UTF8 : 0), t->frame,
                   t->size);
    size_t n = strlen(t->frame);
    if (n > 0 && t->frame[n - 1] == '\n')
        t->frame[--n] = '\0'; /* the last row must not scroll */
    write_all("\033[H", 3);
    write_all(t->frame, n);
    write_all("\033[J", 3);
}

/* 1 to quit; cycles boards. */
static int on_keys(cp_wall *w, wb_term *t, int *dirty) {
    char k[32];
    ssize_t n = read(STDIN_FILENO, k, sizeof(k));
    if (n == 0) {
        t->keys = 0; /* stdin closed: keep showing, keys are gone */
        return 0;
    }
    for (ssize_t i = 0; i < n; i++) {
        switch (k[i]) {
        case 'q':
        case 'Q':
        case 3: /* Ctrl-C when signals are off */
            return 1;
        case '\t':
        case 'n':
        case 'b':
            cp_wall_cycle(w, 1);
            *dirty = 1;
            break;
        case 'p':
        case 'B':
            cp_wall_cycle(w, -1);
            *dirty = 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

/* ---- the topics -------------------------------------------------------------------- */

/* A partition that held messages when it was assigned (--once reads
 * each to its end; librdkafka reports an end again whenever more came). */
typedef struct wb_pending {
    const char *topic; /* one of the config's topic names */
    int32_t partition;
    int reached;
} wb_pending;

typedef struct wb_feed {
    rd_kafka_t *rk;
    const cp_config *cfg;
    wb_pending *pending;
    int npending, ends_left; /* ends_left: pending not yet reached */
} wb_feed;

/* Assign every partition of topic from `keep` messages before its end
 * (keep < 0: from its beginning). */
static int assign_topic(wb_feed *f, rd_kafka_topic_partition_list_t *l, const char *topic,
                        int64_t keep, char *err, size_t errsz) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(f->rk, topic, NULL);
    rd_kafka_resp_err_t e =
        rkt ? rd_kafka_metadata(f->rk, 0, rkt, &md, 10000) : RD_KAFKA_RESP_ERR__INVALID_ARG;
    int rc = -1;
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        snprintf(err, errsz, "topic %s: %s", topic,
                 rd_kafka_err2str(e               ? e
                                  : md->topic_cnt ? md->topics[0].err
                                                  : e));
        goto done;
    }
    for (int p = 0; p < md->topics[0].partition_cnt; p++) {
        int64_t lo = 0, hi = 0;
        int32_t id = md->topics[0].partitions[p].id;
        e = rd_kafka_query_watermark_offsets(f->rk, topic, id, &lo, &hi, 10000);
        if (e) {
            snprintf(err, errsz, "topic %s [%d]: %s", topic, (int)id, rd_kafka_err2str(e));
            goto done;
        }
        int64_t from = keep < 0 || hi - keep < lo ? lo : hi - keep;
        rd_kafka_topic_partition_list_add(l, topic, id)->offset = from;
        if (from < hi) {
            wb_pending *more = realloc(f->pending, (size_t)(f->npending + 1) * sizeof(*more));
            if (!more) {
                snprintf(err, errsz, "out of memory");
                goto done;
            }
            f->pending = more;
            f->pending[f->npending++] = (wb_pending){topic, id, 0};
            f->ends_left++;
        }
    }
    rc = 0;
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    return rc;
}

static int assign_all(wb_feed *f, char *err, size_t errsz) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    int rc = -1;
    if (assign_topic(f, l, f->cfg->leaderboard_topic, -1, err, errsz) != 0 ||
        assign_topic(f, l, f->cfg->alerts_topic, CP_WALL_FEED, err, errsz) != 0 ||
        assign_topic(f, l, f->cfg->rewards_topic, CP_WALL_FEED, err, errsz) != 0)
        goto done;
    rd_kafka_resp_err_t e = rd_kafka_assign(f->rk, l);
    if (e) {
        snprintf(err, errsz, "assign: %s", rd_kafka_err2str(e));
        goto done;
    }
    rc = 0;
done:
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static void reached_end(wb_feed *f, const char *topic, int32_t partition) {
    for (int i = 0; i < f->npending; i++) {
        wb_pending *p = &f->pending[i];
        if (!p->reached && p->partition == partition && strcmp(p->topic, topic) == 0) {
            p->reached = 1;
            f->ends_left--;
        }
    }
}

/* Take every message waiting (up to `wait_ms` for the first); 1 when what
 * is on screen changed. */
static int take(wb_feed *f, cp_wall *w, int wait_ms) {
    rd_kafka_message_t *m;
    int changed = 0;
    while ((m = rd_kafka_consumer_poll(f->rk, wait_ms)) != NULL) {
        wait_ms = 0;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            reached_end(f, rd_kafka_topic_name(m->rkt), m->partition);
        } else if (m->err) {
            cp_debug("wallboard: %s", rd_kafka_message_errstr(m));
        } else {
            const char *topic = rd_kafka_topic_name(m->rkt);
            int rc = strcmp(topic, f->cfg->leaderboard_topic) == 0
                         ? cp_wall_on_board(w, m->payload, m->len)
                     : strcmp(topic, f->cfg->alerts_topic) == 0
                         ? cp_wall_on_alert(w, m->payload, m->len)
                         : cp_wall_on_reward(w, m->payload, m->len);
            changed |= rc > 0;
        }
        rd_kafka_message_destroy(m);
    }
    return changed;
}

/* --once: read to the end of every partition, then one plain frame. */
static int run_once(wb_feed *f, cp_wall *w, wb_term *t) {
    int64_t deadline = cp_now_mono_ms() + ONCE_WAIT_MS;
    while (f->ends_left > 0 && !cp_rt.stop && cp_now_mono_ms() < deadline)
        take(f, w, 100);
    if (f->ends_left > 0)
        cp_warn("wallboard: %d partition(s) not read to their end", f->ends_left);
    cp_wall_render(w, t->cols, t->rows, t->utf8 ? CP_WALL_UTF8 : 0, t->frame, t->size);
    write_all(t->frame, strlen(t->frame));
    return 0;
}

static int run_live(wb_feed *f, cp_wall *w, wb_term *t) {
    int dirty = 1;
    int64_t last = 0;
    term_enter(t);
    while (!cp_rt.stop) {
        if (cp_rt.resized) {
            cp_rt.resized = 0;
            if (term_size(t) != 0)
                break;
            dirty = 1;
        }
        struct pollfd p = {t->keys ? STDIN_FILENO : -1, POLLIN, 0};
        if (poll(&p, 1, 20) > 0 && (p.revents & (POLLIN | POLLHUP)) && on_keys(w, t, &dirty))
            break;
        dirty |= take(f, w, 0);
        int64_t now = cp_now_mono_ms();
        if (dirty && now - last >= REDRAW_MS) {
            draw(w, t);
            dirty = 0;
            last = now;
        }
    }
    term_leave(t);
    return 0;
}

int cp_wallboard_main(int argc, char **argv) {
    /* assign() needs a group id; the wallboard never joins the group nor commits */
    static const char *const defaults[] = {"client.id",
                                           "callpulse-wallboard",
                                           "group.id",
                                           "callpulse-wallboard",
                                           "enable.auto.commit",
                                           "false",
                                           "enable.partition.eof",
                                           "true",
                                           "fetch.wait.max.ms",
                                           "100",
                                           NULL};
    wb_opts o;
    cp_config cfg;
    cp_wall w;
    wb_term t;
    wb_feed f;
    char err[CP_ERRBUF] = "";
    int rc = parse_opts(argc, argv, &o);
    cp_flag_override flags[] = {{"kafka.brokers", "--brokers", o.brokers}};
    if (rc >= 0)
        return rc;
    if (cp_cli_config(&cfg, "wallboard", o.config_file, flags, 1) != 0)
        return 2;
    if (!o.once && !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "callpulse wallboard: standard output is not a terminal (use --once)\n");
        cp_config_free(&cfg);
        return 2;
    }
    cp_runtime_install_signals();
    cp_runtime_watch_resize();
    memset(&t, 0, sizeof(t));
    memset(&f, 0, sizeof(f));
    setlocale(LC_CTYPE, ""); /* the terminal's characters: names such as 张三 */
    t.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    f.cfg = &cfg;
    rc = 1;
    if (cp_wall_init(&w, o.board) != 0 || term_size(&t) != 0) {
        snprintf(err, sizeof(err), "out of memory");
        goto done;
    }
    rd_kafka_conf_t *conf = cp_kafka_conf(&cfg, defaults, NULL, err, sizeof(err));
    if (!conf || !(f.rk = cp_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err))))
        goto done; /* cp_kafka_new consumed conf */
    if (assign_all(&f, err, sizeof(err)) != 0)
        goto done;
    rc = o.once ? run_once(&f, &w, &t) : run_live(&f, &w, &t);
done:
    if (f.rk) {
        rd_kafka_consumer_close(f.rk);
        rd_kafka_destroy(f.rk);
    }
    free(f.pending);
    free(t.frame);
    cp_wall_free(&w);
    if (rc == 1 && err[0])
        cp_error("%s", err);
    cp_config_free(&cfg);
    return rc;
}
