/* log.h -- leveled logs on stderr, as text or one JSON object per line. */
#ifndef CALLPULSE_LOG_H
#define CALLPULSE_LOG_H

#include "runtime.h"

#if defined(__GNUC__)
#define CP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CP_PRINTF(a, b)
#endif

void cp_log(cp_log_level level, const char *fmt, ...) CP_PRINTF(2, 3);

#define cp_debug(...) cp_log(CP_LOG_DEBUG, __VA_ARGS__)
#define cp_info(...)  cp_log(CP_LOG_INFO, __VA_ARGS__)
#define cp_warn(...)  cp_log(CP_LOG_WARN, __VA_ARGS__)
#define cp_error(...) cp_log(CP_LOG_ERROR, __VA_ARGS__)

/* Parse "debug|info|warn|error" and "text|json"; return 0 or -1. */
int cp_log_level_parse(const char *s, cp_log_level *out);
int cp_log_format_parse(const char *s, cp_log_format *out);

#endif
