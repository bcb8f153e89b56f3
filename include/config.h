/* config.h -- the processor's configuration: defaults, JSON file,
 * environment overrides and command-line flags, in that order of precedence.
 *
 * Every key has a default (see cp_config_defaults() and the README), so no
 * file is needed for a local run. Strings are bounded and stored inline;
 * the only heap memory is the kafka.properties list, owned by the config
 * and released by cp_config_free(). */
#ifndef CALLPULSE_CONFIG_H
#define CALLPULSE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rules.h"
#include "runtime.h"
#include "scorecard.h"

#define CP_ERRBUF   512 /* size of every error buffer in the project */
#define CP_NAME_MAX 250 /* Kafka topic / group id bound */

typedef struct cp_kv {
    char *key;
    char *value;
} cp_kv;

/* A KPI window: a sliding one of `seconds`, or the calendar day (0). */
typedef struct cp_window_def {
    char name[16]; /* as configured: "15m", "60m", "day", ... */
    int seconds;
} cp_window_def;

typedef struct cp_config {
    /* kafka.* */
    char brokers[1024];
    char group_id[CP_NAME_MAX];
    char input_topic[CP_NAME_MAX];
    char dlq_topic[CP_NAME_MAX];
    char leaderboard_topic[CP_NAME_MAX];
    char alerts_topic[CP_NAME_MAX];
    char rewards_topic[CP_NAME_MAX];
    int commit_interval_ms;
    cp_kv *kafka_props; /* passed to librdkafka unchanged, in file order */
    size_t kafka_props_n;
    /* processor.* / input.* */
    int batch_max;
    int write_behind_s; /* event time an agent's write may wait in a backlog; 0: never */
    int decode_threads;
    int max_event_bytes;
    /* redis.* */
    char redis_url[512];
    char redis_prefix[64];
    int redis_timeout_ms;
    /* windows.* */
    int bucket_s;
    int lateness_s;
    int future_skew_s;
    int day_offset_min;
    int idle_s; /* 0: a quiet partition's clock never follows the wall clock */
    cp_window_def windows[CP_WINDOWS_MAX];
    int nwindows;
    int idle_expire_s;
    /* log.* / http.* */
    cp_log_level log_level;
    cp_log_format log_format;
    char http_listen[128];
    /* alerts.* / rewards.* */
    cp_rules rules;
    int daily_cap;
    int ledger_days; /* day: fields kept in the points ledger */
    /* scorecard.*, tiers.*, leaderboard.* */
    cp_scorecard scorecard;
    int top_n;
    int publish_interval_ms;
} cp_config;

/* Fill with the documented defaults. */
void cp_config_defaults(cp_config *cfg);

/* Apply a JSON config file. On error returns -1 with one line in err that
 * names the offending key (or the file position for a syntax error). */
int cp_config_load_file(cp_config *cfg, const char *path, char *err, size_t errsz);

/* Apply a JSON text (same rules as a file); used by tests. */
int cp_config_load_string(cp_config *cfg, const char *json, char *err, size_t errsz);

/* Apply CALLPULSE_* environment overrides. */
int cp_config_load_env(cp_config *cfg, char *err, size_t errsz);

/* Set one key by its dotted name from a string, as flags and env do. */
int cp_config_set(cp_config *cfg, const char *key, const char *value, char *err, size_t errsz);

/* Cross-key checks and kafka.properties validation through librdkafka. */
int cp_config_validate(const cp_config *cfg, char *err, size_t errsz);

/* defaults + optional file + env, then validate: what every command uses. */
int cp_config_build(cp_config *cfg, const char *path, char *err, size_t errsz);

/* Print every key with its default and description (for --help/README). */
void cp_config_print_reference(FILE *out);

void cp_config_free(cp_config *cfg);

#endif
