/* stream.c -- producing a generated stream (stream.h). */
#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A day offset that puts a local midnight about an hour before now, so
 * the stream (the last three hours) crosses a day boundary. */
static int offset_with_midnight_near(int64_t at_ms) {
    int64_t minute_of_day = (at_ms / 60000) % 1440;
    int off = (int)((1440 - minute_of_day) % 1440);
    return off > 840 ? off - 1440 : off;
}

void stream_write_config(stream *s, int commit_interval_ms) {
    snprintf(s->config, sizeof(s->config),
             "{\"windows\":{\"day_offset_min\":%d},\"kafka\":{\"commit_interval_ms\":%d,"
             "\"properties\":{\"session.timeout.ms\":\"6000\",\"heartbeat.interval.ms\":\"500\"}},"
             "\"processor\":{\"batch_max\":500}}",
             s->day_offset_min, commit_interval_ms);
}

void stream_make(stream *s, uint64_t seed, int agents, int quiet, int events, int chunks,
                 int commit_interval_ms) {
    int64_t now = h_now_ms();
    o_params p = {.agents = agents,
                  .quiet_agents = quiet,
                  .events = events,
                  .start_ms = now - 3 * 3600000LL,
                  .end_ms = now - 120000,
                  .dup_ratio = 0.04,
                  .late_ratio = 0.01,
                  .seed = seed};
    s->evs = o_generate(&p, &s->n);
    s->out = calloc(s->n, sizeof(*s->out));
    for (size_t i = 0; i < s->n; i++)
        s->out[i] = (h_out){
            s->evs[i].agent, strlen(s->evs[i].agent), s->evs[i].json, s->evs[i].json_len, -1, -1};
    s->day_offset_min = offset_with_midnight_near(now - 3600000);
    s->chunks = chunks;
    stream_write_config(s, commit_interval_ms);
}

void stream_produce_chunk(stream *s, rd_kafka_t *p, int chunk) {
    size_t from = s->n * (size_t)chunk / (size_t)s->chunks,
           to = s->n * (size_t)(chunk + 1) / (size_t)s->chunks;
    h_produce_many(p, STREAM_TOPIC, s->out + from, to - from);
}

void stream_accept(stream *s) {
    for (size_t i = 0; i < s->n; i++) {
        s->evs[i].partition = s->out[i].partition;
        s->evs[i].offset = s->out[i].offset;
    }
    o_accept(s->evs, s->n, 600000);
}

void stream_free(stream *s) {
    free(s->evs);
    free(s->out);
}
