/* config.c -- loading and validating the configuration.
 *
 * One table (config_keys[]) describes every scalar key: its dotted name,
 * kind, bounds, default, environment variable and meaning. Defaults, the
 * file loader, environment overrides, flags and the printed reference all
 * walk that table, so a key is added in exactly one place. Keys outside the
 * table are errors (a typo must not silently fall back to a default), except
 * under kafka.properties, which is passed to librdkafka verbatim. */
#include "config.h"
#include "http.h"

#include <errno.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis_io.h"

typedef enum { K_STR, K_INT, K_LEVEL, K_FORMAT, K_WINDOWS } key_kind;

typedef struct config_key {
    const char *name;
    key_kind kind;
    size_t off;
    size_t size; /* K_STR: buffer size */
    long min, max;
    const char *def;
    const char *env;
    const char *help;
} config_key;

#define STR(field)         K_STR, offsetof(cp_config, field), sizeof(((cp_config *)0)->field), 0, 0
#define INT(field, lo, hi) K_INT, offsetof(cp_config, field), 0, lo, hi

static const config_key config_keys[] = {
    {"kafka.brokers", STR(brokers), "localhost:9092", "CALLPULSE_BROKERS",
     "bootstrap servers, host:port[,host:port]"},
    {"kafka.group_id", STR(group_id), "callpulse", "CALLPULSE_GROUP", "consumer group id"},
    {"kafka.input_topic", STR(input_topic), "call-events", NULL, "topic of call events"},
    {"kafka.dlq_topic", STR(dlq_topic), "call-events-dlq", NULL, "dead-letter topic"},
    {"kafka.leaderboard_topic", STR(leaderboard_topic), "leaderboard-updates", NULL,
     "leaderboard updates topic"},
    {"kafka.alerts_topic", STR(alerts_topic), "agent-alerts", NULL, "supervisor alerts topic"},
    {"kafka.rewards_topic", STR(rewards_topic), "agent-rewards", NULL, "agent rewards topic"},
    {"kafka.commit_interval_ms", INT(commit_interval_ms, 100, 60000), "1000", NULL,
     "how often processed offsets are committed to the group"},
    {"processor.batch_max", INT(batch_max, 1, 100000), "50000", NULL,
     "most events taken from Kafka per processing batch (only a backlog fills one)"},
    {"processor.write_behind_s", INT(write_behind_s, 0, 86400), "3600", NULL,
     "while a backlog lasts, an agent's write may wait this much of its partition's event "
     "time (a crash replays at most that much); 0: every batch writes every agent it changed"},
    {"processor.decode_threads", INT(decode_threads, 1, 16), "2", NULL,
     "threads that decode a large batch in parallel (the consumer thread is one)"},
    {"input.max_event_bytes", INT(max_event_bytes, 256, 1048576), "65536", NULL,
     "largest accepted event value; larger ones are dead-lettered as too_large"},
    {"redis.url", STR(redis_url), "redis://127.0.0.1:6379", "CALLPULSE_REDIS_URL",
     "redis://[:password@]host[:port][/db]"},
    {"redis.prefix", STR(redis_prefix), "cp:", NULL, "prefix of every Redis key"},
    {"redis.timeout_ms", INT(redis_timeout_ms, 50, 60000), "2000", NULL,
     "connect and command timeout"},
    {"windows.bucket_s", INT(bucket_s, 1, 3600), "60", NULL, "width of a KPI bucket in seconds"},
    {"windows.lateness_s", INT(lateness_s, 0, 86400), "600", NULL,
     "events older than this behind their partition's clock are dead-lettered as too_late"},
    {"windows.future_skew_s", INT(future_skew_s, 0, 86400), "300", NULL,
     "events further ahead of wall-clock time are dead-lettered as future_ts"},
    {"windows.day_offset_min", INT(day_offset_min, -720, 840), "0", NULL,
     "UTC offset in minutes of the calendar day used by the day window and daily caps"},
    {"windows.idle_s", INT(idle_s, 0, 86400), "30", NULL,
     "a partition with no unread events this long lets its clock follow the wall clock; 0: never"},
    {"windows.list", K_WINDOWS, 0, 0, 0, 0, "15m,60m,day", NULL,
     "KPI windows: sliding ones as <N>s, <N>m or <N>h (multiples of bucket_s), and day"},
    {"redis.idle_expire_s", INT(idle_expire_s, 3600, 31536000), "691200", NULL,
     "an agent's keys expire after this long without an event or a window change"},
    {"rewards.daily_cap", INT(daily_cap, 0, 1000000), "500", NULL,
     "points an agent can earn per calendar day; a reward is clipped to what remains"},
    {"rewards.ledger_days", INT(ledger_days, 2, 3660), "35", NULL,
     "days of day:YYYY-MM-DD fields kept in an agent's points ledger"},
    {"leaderboard.min_calls", INT(scorecard.min_calls, 1, 100000), "3", NULL,
     "handled calls an agent needs in a window for a score there (and a board place)"},
    {"leaderboard.top_n", INT(top_n, 1, 100), "10", NULL,
     "entries per leaderboard-updates message"},
    {"leaderboard.publish_interval_ms", INT(publish_interval_ms, 0, 600000), "1000", NULL,
     "at most one leaderboard-updates message per board in this interval"},
    {"log.level", K_LEVEL, offsetof(cp_config, log_level), 0, 0, 0, "info", "CALLPULSE_LOG_LEVEL",
     "debug, info, warn or error"},
    {"log.format", K_FORMAT, offsetof(cp_config, log_format), 0, 0, 0, "text",
     "CALLPULSE_LOG_FORMAT", "text or json"},
    {"http.listen", STR(http_listen), "", "CALLPULSE_HTTP",
     "ADDR:PORT for /metrics and /healthz; empty disables"},
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static void set_err(char *err, size_t errsz, const char *fmt, ...) CP_PRINTF(3, 4);
static void set_err(char *err, size_t errsz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

static const config_key *find_key(const char *name) {
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(config_keys[i].name, name) == 0)
            return &config_keys[i];
    return NULL;
}

/* Parse a whole decimal integer within [min,max]. */
static int parse_long(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* One window name: "day" or <N>s / <N>m / <N>h. */
static int parse_window(const char *name, size_t len, cp_window_def *w) {
    char buf[16], *end;
    if (len == 0 || len >= sizeof(w->name))
        return -1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    memcpy(w->name, buf, len + 1);
    if (strcmp(buf, "day") == 0) {
        w->seconds = 0;
        return 0;
    }
    long n = strtol(buf, &end, 10);
    int unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 0;
    if (end == buf || unit == 0 || end[1] != '\0' || n < 1 || n > 7 * 24 * 3600 / unit)
        return -1;
    w->seconds = (int)n * unit;
    return 0;
}

/* "15m,60m,day" into cfg->windows; names must be unique. */
static int parse_windows(cp_config *cfg, const char *value) {
    int n = 0;
    const char *at = value;
    while (*at) {
        size_t len = strcspn(at, ",");
        if (n == CP_WINDOWS_MAX || parse_window(at, len, &cfg->windows[n]) != 0)
            return -1;
        for (int i = 0; i < n; i++)
            if (strcmp(cfg->windows[i].name, cfg->windows[n].name) == 0)
                return -1;
        n++;
        at += len;
        if (*at == ',')
            at++;
    }
    if (n == 0)
        return -1;
    cfg->nwindows = n;
    return 0;
}

static int apply_string(cp_config *cfg, const config_key *k, const char *value, char *err,
                        size_t errsz) {
    char *base = (char *)cfg + k->off;
    long v;

    switch (k->kind) {
    case K_STR:
        if (strlen(value) >= k->size) {
            set_err(err, errsz, "%s: value longer than %zu bytes", k->name, k->size - 1);
            return -1;
        }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    case K_INT:
        if (parse_long(value, k->min, k->max, &v) != 0) {
            set_err(err, errsz, "%s: expected an integer in %ld..%ld, got \"%s\"", k->name, k->min,
                    k->max, value);
            return -1;
        }
        *(int *)base = (int)v;
        return 0;
    case K_LEVEL:
        if (cp_log_level_parse(value, (cp_log_level *)base) != 0) {
            set_err(err, errsz, "%s: expected debug, info, warn or error, got \"%s\"", k->name,
                    value);
            return -1;
        }
        return 0;
    case K_FORMAT:
        if (cp_log_format_parse(value, (cp_log_format *)base) != 0) {
            set_err(err, errsz, "%s: expected text or json, got \"%s\"", k->name, value);
            return -1;
        }
        return 0;
    case K_WINDOWS:
        if (parse_windows(cfg, value) != 0) {
            set_err(err, errsz,
                    "%s: expected up to %d distinct names like \"15m\", \"1h\", \"90s\" or "
                    "\"day\", got \"%s\"",
                    k->name, CP_WINDOWS_MAX, value);
            return -1;
        }
        return 0;
    }
    return -1;
}

void cp_config_defaults(cp_config *cfg) {
    char err[CP_ERRBUF];
    memset(cfg, 0, sizeof(*cfg));
    cp_scorecard_defaults(&cfg->scorecard);
    for (size_t i = 0; i < NKEYS; i++)
        if (apply_string(cfg, &config_keys[i], config_keys[i].def, err, sizeof(err)) != 0)
            abort(); /* a default outside its own bounds is a programming error */
    if (cp_rules_defaults(&cfg->rules, 0) != 0 || cp_rules_defaults(&cfg->rules, 1) != 0)
        abort(); /* so are default rules that do not parse */
}

int cp_config_set(cp_config *cfg, const char *key, const char *value, char *err, size_t errsz) {
    const config_key *k = find_key(key);
    if (!k) {
        set_err(err, errsz, "%s: unknown configuration key", key);
        return -1;
    }
    return apply_string(cfg, k, value, err, errsz);
}

static void free_props(cp_config *cfg) {
    for (size_t i = 0; i < cfg->kafka_props_n; i++) {
        free(cfg->kafka_props[i].key);
        free(cfg->kafka_props[i].value);
    }
    free(cfg->kafka_props);
    cfg->kafka_props = NULL;
    cfg->kafka_props_n = 0;
}

void cp_config_free(cp_config *cfg) {
    free_props(cfg);
}

/* A JSON scalar as the string librdkafka or apply_string() expects. */
static int scalar_to_string(json_t *v, char *buf, size_t size) {
    int n;
    switch (json_typeof(v)) {
    case JSON_STRING:
        n = snprintf(buf, size, "%s", json_string_value(v));
        break;
    case JSON_INTEGER:
        n = snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_TRUE:
        n = snprintf(buf, size, "true");
        break;
    case JSON_FALSE:
        n = snprintf(buf, size, "false");
        break;
    default:
        return -1;
    }
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

#define PROPS_MAX 256

static int load_props(cp_config *cfg, json_t *obj, char *err, size_t errsz) {
    const char *name;
    json_t *v;
    char buf[4096];

    if (!json_is_object(obj)) {
        set_err(err, errsz, "kafka.properties: expected an object of librdkafka properties");
        return -1;
    }
    free_props(cfg);
    if (json_object_size(obj) > PROPS_MAX) {
        set_err(err, errsz, "kafka.properties: more than %d entries", PROPS_MAX);
        return -1;
    }
    cfg->kafka_props = calloc(json_object_size(obj) + 1, sizeof(cp_kv));
    if (!cfg->kafka_props) {
        set_err(err, errsz, "kafka.properties: out of memory");
        return -1;
    }
    json_object_foreach(obj, name, v) {
        if (json_is_string(v) && strlen(json_string_value(v)) >= sizeof(buf)) {
            set_err(err, errsz, "kafka.properties.%s: value too long", name);
            return -1;
        }
        if (scalar_to_string(v, buf, sizeof(buf)) != 0) {
            set_err(err, errsz, "kafka.properties.%s: expected a string, integer or boolean", name);
            return -1;
        }
        cp_kv *kv = &cfg->kafka_props[cfg->kafka_props_n];
        kv->key = strdup(name);
        kv->value = strdup(buf);
        if (!kv->key || !kv->value) {
            free(kv->key);
            free(kv->value);
            set_err(err, errsz, "kafka.properties: out of memory");
            return -1;
        }
        cfg->kafka_props_n++;
    }
    return 0;
}

/* ["15m","60m"] as "15m,60m". */
static int join_strings(json_t *arr, char *buf, size_t size) {
    size_t i, off = 0;
    json_t *v;
    buf[0] = '\0';
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || strchr(json_string_value(v), ','))
            return -1;
        int n = snprintf(buf + off, size - off, "%s%s", i ? "," : "", json_string_value(v));
        if (n < 0 || (size_t)n >= size - off)
            return -1;
        off += (size_t)n;
    }
    return 0;
}

/* Walk one JSON object level; prefix is the dotted path so far. */
static int load_object(cp_config *cfg, json_t *obj, const char *prefix, char *err, size_t errsz) {
    const char *name;
    json_t *v;
    char path[256], buf[1024];

    json_object_foreach(obj, name, v) {
        int n = snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", name);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            set_err(err, errsz, "%s...: key path too long", prefix);
            return -1;
        }
        if (strcmp(path, "kafka.properties") == 0) {
            if (load_props(cfg, v, err, errsz) != 0)
                return -1;
            continue;
        }
        if (strcmp(path, "scorecard") == 0 || strcmp(path, "tiers") == 0) {
            int sc = path[0] == 's';
            if (cp_scorecard_parse(&cfg->scorecard, sc ? v : NULL, sc ? NULL : v, err, errsz) != 0)
                return -1;
            continue;
        }
        if (strcmp(path, "alerts.rules") == 0 || strcmp(path, "rewards.rules") == 0) {
            if (cp_rules_parse(&cfg->rules, path[0] == 'r', v, err, errsz) != 0)
                return -1;
            continue;
        }
        if (json_is_object(v)) {
            if (load_object(cfg, v, path, err, errsz) != 0)
                return -1;
            continue;
        }
        const config_key *k = find_key(path);
        if (!k) {
            set_err(err, errsz, "%s: unknown configuration key", path);
            return -1;
        }
        if (k->kind == K_WINDOWS && json_is_array(v)) {
            if (join_strings(v, buf, sizeof(buf)) != 0) {
                set_err(err, errsz, "%s: expected an array of window names", path);
                return -1;
            }
            if (apply_string(cfg, k, buf, err, errsz) != 0)
                return -1;
            continue;
        }
        if ((k->kind == K_INT) != json_is_integer(v) || scalar_to_string(v, buf, sizeof(buf))) {
            set_err(err, errsz, "%s: expected %s", path,
                    k->kind == K_INT ? "an integer" : "a string");
            return -1;
        }
        if (apply_string(cfg, k, buf, err, errsz) != 0)
            return -1;
    }
    return 0;
}

static int load_json(cp_config *cfg, json_t *root, const json_error_t *jerr, const char *what,
                     char *err, size_t errsz) {
    int rc;
    if (!root) {
        set_err(err, errsz, "%s:%d:%d: %s", what, jerr->line, jerr->column, jerr->text);
        return -1;
    }
    if (!json_is_object(root)) {
        set_err(err, errsz, "%s: the configuration must be a JSON object", what);
        json_decref(root);
        return -1;
    }
    rc = load_object(cfg, root, "", err, errsz);
    json_decref(root);
    return rc;
}

int cp_config_load_file(cp_config *cfg, const char *path, char *err, size_t errsz) {
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    return load_json(cfg, root, &jerr, path, err, errsz);
}

int cp_config_load_string(cp_config *cfg, const char *text, char *err, size_t errsz) {
    json_error_t jerr;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    return load_json(cfg, root, &jerr, "config", err, errsz);
}

int cp_config_load_env(cp_config *cfg, char *err, size_t errsz) {
    for (size_t i = 0; i < NKEYS; i++) {
        const config_key *k = &config_keys[i];
        const char *v = k->env ? getenv(k->env) : NULL;
        if (!v || !*v)
            continue;
        if (apply_string(cfg, k, v, err, errsz) != 0) {
            char inner[CP_ERRBUF];
            snprintf(inner, sizeof(inner), "%s", err);
            set_err(err, errsz, "%s (from environment %s)", inner, k->env);
            return -1;
        }
    }
    return 0;
}

int cp_config_build(cp_config *cfg, const char *path, char *err, size_t errsz) {
    cp_config_defaults(cfg);
    if (path && cp_config_load_file(cfg, path, err, errsz) != 0)
        return -1;
    return cp_config_load_env(cfg, err, errsz);
}

/* Kafka topic names: 1..249 of [A-Za-z0-9._-]. */
static int valid_topic(const char *t) {
    size_t n = strlen(t);
    if (n == 0 || n > 249)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '.' || *t == '_' || *t == '-'))
            return 0;
    return 1;
}

static int validate_props(const cp_config *cfg, char *err, size_t errsz) {
    char rkerr[256];
    int rc = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (size_t i = 0; i < cfg->kafka_props_n && rc == 0; i++) {
        if (rd_kafka_conf_set(conf, cfg->kafka_props[i].key, cfg->kafka_props[i].value, rkerr,
                              sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
            set_err(err, errsz, "kafka.properties.%s: %s", cfg->kafka_props[i].key, rkerr);
            rc = -1;
        }
    }
    rd_kafka_conf_destroy(conf);
    return rc;
}

int cp_config_validate(const cp_config *cfg, char *err, size_t errsz) {
    struct {
        const char *key, *value;
    } topics[] = {{"kafka.input_topic", cfg->input_topic},
                  {"kafka.dlq_topic", cfg->dlq_topic},
                  {"kafka.leaderboard_topic", cfg->leaderboard_topic},
                  {"kafka.alerts_topic", cfg->alerts_topic},
                  {"kafka.rewards_topic", cfg->rewards_topic}};

    if (!*cfg->brokers) {
        set_err(err, errsz, "kafka.brokers: must not be empty");
        return -1;
    }
    if (!*cfg->group_id) {
        set_err(err, errsz, "kafka.group_id: must not be empty");
        return -1;
    }
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        if (!valid_topic(topics[i].value)) {
            set_err(err, errsz, "%s: \"%s\" is not a valid topic name", topics[i].key,
                    topics[i].value);
            return -1;
        }
    }
    if (strcmp(cfg->input_topic, cfg->dlq_topic) == 0) {
        set_err(err, errsz, "kafka.dlq_topic: must differ from kafka.input_topic");
        return -1;
    }
    if (cfg->http_listen[0] && cp_http_listen_ok(cfg->http_listen, err, errsz) != 0)
        return -1;
    for (int i = 0; i < cfg->nwindows; i++) {
        if (cfg->windows[i].seconds % cfg->bucket_s != 0) {
            set_err(err, errsz,
                    "windows.list: window %s is not a multiple of windows.bucket_s (%d)",
                    cfg->windows[i].name, cfg->bucket_s);
            return -1;
        }
        if (cfg->windows[i].seconds == 0 && 86400 % cfg->bucket_s != 0) {
            set_err(err, errsz, "windows.bucket_s: must divide a day for the day window");
            return -1;
        }
    }
    char names[CP_WINDOWS_MAX][16];
    for (int i = 0; i < cfg->nwindows; i++)
        memcpy(names[i], cfg->windows[i].name, sizeof(names[i]));
    if (cp_rules_resolve((cp_rules *)&cfg->rules, (const char(*)[16])names, cfg->nwindows, err,
                         errsz) != 0)
        return -1;
    cp_redis_url url;
    char why[256];
    if (cp_redis_url_parse(cfg->redis_url, &url, why, sizeof(why)) != 0) {
        set_err(err, errsz, "redis.url: %s", why);
        return -1;
    }
    if (strchr(cfg->redis_prefix, '{') || strchr(cfg->redis_prefix, '}')) {
        set_err(err, errsz, "redis.prefix: must not contain { or } (they are hash tags)");
        return -1;
    }
    return validate_props(cfg, err, errsz);
}

void cp_config_print_reference(FILE *out) {
    for (size_t i = 0; i < NKEYS; i++) {
        const config_key *k = &config_keys[i];
        fprintf(out, "  %-26s default \"%s\"%s%s: %s\n", k->name, k->def, k->env ? ", env " : "",
                k->env ? k->env : "", k->help);
    }
    fprintf(out, "  %-26s default {}: librdkafka properties, passed unchanged\n",
            "kafka.properties");
    fprintf(out,
            "  %-26s default the contract's: {\"KPI\": {\"weight\": W, \"target\": T}} for "
            "answer_rate, aht_s, fcr_rate (targets 0.90, 360, 0.75), csat_avg, qa_avg; "
            "weights 20, 20, 20, 25, 15\n",
            "scorecard");
    fprintf(out,
            "  %-26s default {\"excellent\": 90, \"good\": 75, \"qualified\": 60}: lowest "
            "score of each tier\n",
            "tiers");
    fprintf(out, "  %-26s default the contract's: alert and reward rules (README)\n",
            "alerts.rules, rewards.rules");
}
