/* wallview.c -- the wallboard's model and its drawing (wallview.h). */
#define _XOPEN_SOURCE 700 /* wcwidth */
#include "wallview.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* ---- cleaning input text ---------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), its
 * code point in *cp; 0 when it is not one (invalid, overlong, truncated,
 * a surrogate). */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp) {
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len > n)
        return 0;
    unsigned c = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Not a C0 or C1 control, nor DEL. */
static int printable(unsigned cp) {
    return cp >= 0x20 && !(cp >= 0x7f && cp < 0xa0);
}

/* Copy src into dst (size bytes) keeping whole printable characters only;
 * a control character or a byte that is not UTF-8 becomes '?'. */
static void clean(char *dst, size_t size, const char *src) {
    size_t o = 0, n = src ? strlen(src) : 0;
    for (size_t i = 0; i < n && o + 1 < size;) {
        unsigned cp = 0;
        size_t len = utf8_next((const unsigned char *)src + i, n - i, &cp);
        if (len == 0 || !printable(cp)) {
            dst[o++] = '?';
            i += len ? len : 1;
        } else if (o + len < size) {
            memcpy(dst + o, src + i, len);
            o += len;
            i += len;
        } else {
            break;
        }
    }
    dst[o] = '\0';
}

static void clean_field(char *dst, size_t size, json_t *obj, const char *key) {
    clean(dst, size, json_string_value(json_object_get(obj, key)));
}

int cp_wall_board_id_ok(const char *id) {
    size_t n = strlen(id);
    const char *last = strrchr(id, ':');
    if (n == 0 || n >= CP_WALL_ID || !last || last[1] == '\0')
        return 0;
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return 0;
    if (strncmp(id, "all:", 4) == 0)
        return last == id + 3;
    return strncmp(id, "team:", 5) == 0 && last > id + 5;
}

/* ---- the model --------------------------------------------------------------------- */

int cp_wall_init(cp_wall *w, const char *shown) {
    memset(w, 0, sizeof(*w));
    snprintf(w->shown, sizeof(w->shown), "%s", shown ? shown : "all:15m");
    w->boards = calloc(CP_WALL_BOARDS_MAX, sizeof(*w->boards));
    return w->boards ? 0 : -1;
}

void cp_wall_free(cp_wall *w) {
    free(w->boards);
    memset(w, 0, sizeof(*w));
}

static json_t *parse(cp_wall *w, const void *value, size_t len) {
    json_t *j = value && len <= CP_WALL_MSG_MAX ? json_loadb(value, len, 0, NULL) : NULL;
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    if (!j)
        w->ignored++;
    return j;
}

/* The board with id, inserted in order when new; NULL when full. */
static cp_wall_board *board_slot(cp_wall *w, const char *id) {
    size_t i = 0;
    while (i < w->nboards && strcmp(w->boards[i].id, id) < 0)
        i++;
    if (i < w->nboards && strcmp(w->boards[i].id, id) == 0)
        return &w->boards[i];
    if (w->nboards == CP_WALL_BOARDS_MAX)
        return NULL;
    memmove(&w->boards[i + 1], &w->boards[i], (w->nboards - i) * sizeof(*w->boards));
    w->nboards++;
    memset(&w->boards[i], 0, sizeof(w->boards[i]));
    snprintf(w->boards[i].id, sizeof(w->boards[i].id), "%s", id);
    return &w->boards[i];
}

static void read_entries(cp_wall_board *b, json_t *entries) {
    b->n = 0;
    for (size_t i = 0; i < json_array_size(entries) && b->n < CP_WALL_ENTRIES; i++) {
        json_t *e = json_array_get(entries, i);
        cp_wall_entry *x = &b->e[b->n];
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "agent_id")))
            continue;
        json_int_t rank = json_integer_value(json_object_get(e, "rank"));
        json_int_t prev = json_integer_value(json_object_get(e, "prev_rank"));
        x->rank = rank > 0 && rank < 1000000 ? (int)rank : b->n + 1;
        x->prev_rank = prev > 0 && prev < 1000000 ? (int)prev : 0;
        clean_field(x->agent, sizeof(x->agent), e, "agent_id");
        clean_field(x->team, sizeof(x->team), e, "team_id");
        clean_field(x->tier, sizeof(x->tier), e, "tier");
        x->score = json_number_value(json_object_get(e, "score"));
        b->n++;
    }
}

int cp_wall_on_board(cp_wall *w, const void *value, size_t len) {
    json_t *j = parse(w, value, len);
    if (!j)
        return -1;
    const char *id = json_string_value(json_object_get(j, "board"));
    json_t *entries = json_object_get(j, "entries");
    long long seq = json_integer_value(json_object_get(j, "seq"));
    cp_wall_board *b =
        id && cp_wall_board_id_ok(id) && json_is_array(entries) ? board_slot(w, id) : NULL;
    int rc = -1;
    if (!b) {
        w->ignored++;
    } else if (seq > 0 && seq <= b->seq) {
        rc = 0; /* a re-delivery or an older view */
    } else {
        b->seq = seq;
        b->size = json_integer_value(json_object_get(j, "size"));
        b->as_of = json_integer_value(json_object_get(j, "as_of"));
        read_entries(b, entries);
        rc = strcmp(b->id, w->shown) == 0;
    }
    json_decref(j);
    return rc;
}

static int feed_has(const cp_wall_feed *f, const char *id) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].id, id) == 0)
            return 1;
    return 0;
}

/* Room for an item of time as_of in its place (newest first); the oldest
 * falls off a full feed. NULL when it is older than everything kept. */
static cp_wall_item *feed_insert(cp_wall_feed *f, int64_t as_of) {
    size_t pos = 0;
    while (pos < f->n && f->v[pos].as_of >= as_of)
        pos++;
    if (pos == CP_WALL_FEED)
        return NULL;
    size_t keep = f->n < CP_WALL_FEED ? f->n : CP_WALL_FEED - 1;
    memmove(&f->v[pos + 1], &f->v[pos], (keep - pos) * sizeof(f->v[0]));
    if (f->n < CP_WALL_FEED)
        f->n++;
    memset(&f->v[pos], 0, sizeof(f->v[pos]));
    return &f->v[pos];
}

static int on_item(cp_wall *w, cp_wall_feed *f, const void *value, size_t len, const char *id_key,
                   int reward) {
    json_t *j = parse(w, value, len);
    if (!j)
        return -1;
    char id[sizeof(f->v[0].id)];
    cp_wall_item *it;
    clean_field(id, sizeof(id), j, id_key);
    int rc = 0;
    if (!id[0] || !json_is_string(json_object_get(j, "agent_id"))) {
        w->ignored++;
        rc = -1;
    } else if (!feed_has(f, id) &&
               (it = feed_insert(f, json_integer_value(json_object_get(j, "as_of")))) != NULL) {
        snprintf(it->id, sizeof(it->id), "%s", id);
        clean_field(it->agent, sizeof(it->agent), j, "agent_id");
        clean_field(it->text, sizeof(it->text), j, "message");
        it->as_of = json_integer_value(json_object_get(j, "as_of"));
        if (reward) {
            snprintf(it->label, sizeof(it->label), "+%lld",
                     (long long)json_integer_value(json_object_get(j, "points")));
        } else {
            char sev[12], state[12];
            clean_field(sev, sizeof(sev), j, "severity");
            clean_field(state, sizeof(state), j, "state");
            snprintf(it->label, sizeof(it->label), "%s",
                     strcmp(state, "resolved") == 0 ? "resolved" : sev);
        }
        rc = 1;
    }
    json_decref(j);
    return rc;
}

int cp_wall_on_alert(cp_wall *w, const void *value, size_t len) {
    return on_item(w, &w->alerts, value, len, "alert_id", 0);
}

int cp_wall_on_reward(cp_wall *w, const void *value, size_t len) {
    return on_item(w, &w->rewards, value, len, "reward_id", 1);
}

void cp_wall_cycle(cp_wall *w, int step) {
    if (w->nboards == 0)
        return;
    size_t i = 0;
    while (i < w->nboards && strcmp(w->boards[i].id, w->shown) < 0)
        i++;
    int found = i < w->nboards && strcmp(w->boards[i].id, w->shown) == 0;
    size_t next = step > 0 ? (found ? i + 1 : i) % w->nboards : (i + w->nboards - 1) % w->nboards;
    snprintf(w->shown, sizeof(w->shown), "%s", w->boards[next].id);
}

/* ---- drawing ----------------------------------------------------------------------- */

enum { C_NONE, C_BOLD, C_DIM, C_RED, C_GREEN, C_YELLOW, C_CYAN, C_INVERSE };

/* One line under construction: visible width is counted, escapes are not. */
typedef struct line {
    char *buf;
    size_t size, used;
    int cols, width, flags;
} line;

static void raw(line *l, const char *s, size_t n) {
    if (l->used + n < l->size) {
        memcpy(l->buf + l->used, s, n);
        l->used += n;
        l->buf[l->used] = '\0';
    }
}

static void color(line *l, int c) {
    static const char *const codes[] = {"\033[0m",  "\033[1m",  "\033[2m",  "\033[31m",
                                        "\033[32m", "\033[33m", "\033[36m", "\033[7m"};
    if (l->flags & CP_WALL_TTY)
        raw(l, codes[c], strlen(codes[c]));
}

/* Append text cleaned by clean(), cut to the line's width; pad to `pad`
 * columns when pad > 0. Wide characters count as two columns; without a
 * UTF-8 terminal, non-ASCII characters are drawn as '?'. */
static void text(line *l, const char *s, int pad) {
    int start = l->width;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned cp;
        size_t len = utf8_next((const unsigned char *)s + i, n - i, &cp);
        int w = 1;
        if (len == 0)
            len = 1;
        if (len > 1 && (l->flags & CP_WALL_UTF8)) {
            w = wcwidth((wchar_t)cp);
            w = w < 0 ? 1 : w;
        }
        if (l->width + w > l->cols || (pad > 0 && l->width + w > start + pad))
            break;
        if (len > 1 && !(l->flags & CP_WALL_UTF8))
            raw(l, "?", 1);
        else
            raw(l, s + i, len);
        l->width += w;
        i += len;
    }
    while (pad > 0 && l->width < start + pad && l->width < l->cols) {
        raw(l, " ", 1);
        l->width++;
    }
}

static void textf(line *l, int pad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void textf(line *l, int pad, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    text(l, tmp, pad);
}

typedef struct frame {
    char *buf;
    size_t size, used;
    int cols, flags, lines;
} frame;

static line line_begin(frame *f) {
    line l = {f->buf + f->used, f->size - f->used, 0, f->cols, 0, f->flags};
    if (l.size)
        l.buf[0] = '\0';
    return l;
}

static void line_end(frame *f, line *l) {
    color(l, C_NONE);
    if (l->flags & CP_WALL_TTY)
        raw(l, "\033[K", 3);
    raw(l, "\n", 1);
    f->used += l->used;
    f->lines++;
}

static void clock_text(int64_t ms, char *buf, size_t size) {
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !localtime_r(&secs, &tm))
        snprintf(buf, size, "--:--:--");
    else
        strftime(buf, size, "%H:%M:%S", &tm);
}

static const cp_wall_board *shown_board(const cp_wall *w) {
    for (size_t i = 0; i < w->nboards; i++)
        if (strcmp(w->boards[i].id, w->shown) == 0)
            return &w->boards[i];
    return NULL;
}

static void draw_title(frame *f, const cp_wall *w, const cp_wall_board *b) {
    line l = line_begin(f);
    char at[16];
    color(&l, C_INVERSE);
    text(&l, " callpulse wallboard ", 0);
    color(&l, C_NONE);
    color(&l, C_BOLD);
    textf(&l, 0, "  %s", w->shown);
    color(&l, C_NONE);
    if (b) {
        clock_text(b->as_of, at, sizeof(at));
        textf(&l, 0, "  as of %s  %lld ranked  seq %lld", at, b->size, b->seq);
    }
    if (l.width + 36 <= f->cols) {
        size_t at_board = 0;
        while (at_board < w->nboards && strcmp(w->boards[at_board].id, w->shown) != 0)
            at_board++;
        color(&l, C_DIM);
        if (at_board < w->nboards)
            textf(&l, 0, "  [tab] board %zu/%zu  [q] quit", at_board + 1, w->nboards);
        else
            textf(&l, 0, "  [tab] %zu boards  [q] quit", w->nboards);
        color(&l, C_NONE);
    }
    line_end(f, &l);
}

static int tier_color(const char *tier) {
    return strcmp(tier, "excellent") == 0   ? C_GREEN
           : strcmp(tier, "good") == 0      ? C_CYAN
           : strcmp(tier, "qualified") == 0 ? C_YELLOW
                                            : C_RED;
}

static void draw_move(line *l, const cp_wall_entry *e) {
    int d = e->prev_rank - e->rank;
    if (e->prev_rank == 0) {
        color(l, C_BOLD);
        text(l, "new", 6);
    } else if (d == 0) {
        color(l, C_DIM);
        text(l, "=", 6);
    } else {
        color(l, d > 0 ? C_GREEN : C_RED);
        textf(l, 6, "%s%d",
              (l->flags & CP_WALL_UTF8) ? (d > 0 ? "\xe2\x96\xb2" : "\xe2\x96\xbc")
                                        : (d > 0 ? "+" : "-"),
              d > 0 ? d : -d);
    }
    color(l, C_NONE);
}

static void draw_entries(frame *f, const cp_wall_board *b, int rows) {
    line l = line_begin(f);
    color(&l, C_BOLD);
    text(&l, " RANK MOVE  AGENT             TEAM        SCORE  TIER", 0);
    line_end(f, &l);
    for (int i = 0; i < rows - 1; i++) {
        l = line_begin(f);
        if (!b) {
            if (i == 0)
                text(&l, "  waiting for this board's first update ...", 0);
        } else if (i < b->n) {
            const cp_wall_entry *e = &b->e[i];
            textf(&l, 6, " %3d", e->rank);
            draw_move(&l, e);
            text(&l, e->agent, 18);
            text(&l, e->team[0] ? e->team : "-", 10);
            textf(&l, 7, "%7.1f", e->score);
            text(&l, "  ", 0);
            color(&l, tier_color(e->tier));
            text(&l, e->tier, 0);
        } else if (i == 0) {
            text(&l, "  nobody has a score on this board yet", 0);
        }
        line_end(f, &l);
    }
}

static int label_color(const char *label) {
    return label[0] == '+'                  ? C_GREEN
           : strcmp(label, "critical") == 0 ? C_RED
           : strcmp(label, "warning") == 0  ? C_YELLOW
           : strcmp(label, "resolved") == 0 ? C_GREEN
                                            : C_CYAN;
}

static void draw_feed(frame *f, const char *title, const cp_wall_feed *feed, int rows) {
    if (rows <= 0)
        return;
    line l = line_begin(f);
    color(&l, C_BOLD);
    text(&l, title, 0);
    line_end(f, &l);
    for (int i = 0; i < rows - 1; i++) {
        l = line_begin(f);
        if ((size_t)i < feed->n) {
            const cp_wall_item *it = &feed->v[i];
            char at[16];
            clock_text(it->as_of, at, sizeof(at));
            textf(&l, 10, " %s", at);
            color(&l, label_color(it->label));
            text(&l, it->label, 10);
            color(&l, C_NONE);
            text(&l, it->text[0] ? it->text : it->agent, 0);
        } else if (i == 0) {
            color(&l, C_DIM);
            text(&l, "  none yet", 0);
        }
        line_end(f, &l);
    }
}

int cp_wall_render(const cp_wall *w, int cols, int rows, int flags, char *buf, size_t size) {
    frame f = {buf, size, 0, cols < 20 ? 20 : cols, flags, 0};
    const cp_wall_board *b = shown_board(w);
    if (size)
        buf[0] = '\0';
    if (rows < 4)
        rows = 4;
    int avail = rows - 1; /* below the title */
    int want = 1 + (b && b->n > 0 ? b->n : 1);
    int board_rows = avail - 5 >= want ? want : avail - 5 > 2 ? avail - 5 : avail;
    int feeds = avail - board_rows - 1; /* a blank line between */
    draw_title(&f, w, b);
    draw_entries(&f, b, board_rows);
    if (feeds >= 2) {
        line l = line_begin(&f);
        line_end(&f, &l);
        draw_feed(&f, " LATEST ALERTS", &w->alerts, feeds / 2);
        draw_feed(&f, " LATEST REWARDS", &w->rewards, feeds - feeds / 2);
    }
    return f.lines;
}
