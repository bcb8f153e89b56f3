/* kafka_io.h -- creating librdkafka clients from the configuration.
 *
 * Order of properties: callpulse's tunable defaults, then the user's
 * kafka.properties unchanged, then the few settings the processor's
 * delivery guarantees depend on (those win, with a warning if the user
 * asked otherwise). librdkafka's logs and errors go to our log. */
#ifndef CALLPULSE_KAFKA_IO_H
#define CALLPULSE_KAFKA_IO_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A NULL-terminated list of "name", "value" pairs. */
typedef const char *const cp_kafka_props[];

/* A conf with bootstrap servers, `defaults`, the user's properties and
 * `required`, plus log and error callbacks. NULL with err on failure. */
rd_kafka_conf_t *cp_kafka_conf(const cp_config *cfg, const char *const *defaults,
                               const char *const *required, char *err, size_t errsz);

/* Create a client from conf (conf is consumed on success and on failure). */
rd_kafka_t *cp_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err, size_t errsz);

/* Milliseconds on a monotonic clock. */
int64_t cp_now_mono_ms(void);

/* Wall-clock epoch milliseconds. */
int64_t cp_now_wall_ms(void);

#endif
