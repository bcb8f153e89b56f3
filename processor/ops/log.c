/* log.c -- one line per notable event on stderr.
 *
 * Text:  2026-11-23T10:00:00.123Z INFO  run: message
 * JSON:  {"ts":"2026-11-23T10:00:00.123Z","level":"info","component":"run","msg":"message"}
 *
 * A line is formatted into one buffer and written with a single write(2) so
 * lines from several threads (librdkafka's log callback) never interleave. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *level_names[] = {"debug", "info", "warn", "error"};
static const char *level_tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};

int cp_log_level_parse(const char *s, cp_log_level *out) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (cp_log_level)i;
            return 0;
        }
    }
    return -1;
}

int cp_log_format_parse(const char *s, cp_log_format *out) {
    if (strcmp(s, "text") == 0)
        *out = CP_LOG_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = CP_LOG_JSON;
    else
        return -1;
    return 0;
}

static void format_now(char *buf, size_t size) {
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

static void write_line(const char *line, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, line, len);
        if (n <= 0)
            return;
        line += n;
        len -= (size_t)n;
    }
}

void cp_log(cp_log_level level, const char *fmt, ...) {
    char msg[2048], now[64], line[4096];
    va_list ap;
    int n;

    if (level < cp_rt.log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    format_now(now, sizeof(now));

    if (cp_rt.log_format == CP_LOG_JSON) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ts", now, "level", level_names[level],
                              "component", cp_rt.component, "msg", msg);
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        n = snprintf(line, sizeof(line), "%s\n", s ? s : "{\"msg\":\"log encoding failed\"}");
        free(s);
        json_decref(o);
    } else {
        n = snprintf(line, sizeof(line), "%s %s %s: %s\n", now, level_tags[level], cp_rt.component,
                     msg);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    write_line(line, (size_t)n);
}
