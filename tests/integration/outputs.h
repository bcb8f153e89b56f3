/* outputs.h -- the machinery of the outputs suite (issue 10; contract
 * sections 3 and 5: "outputs are a function of the input"): a generated
 * call-centre stream with every behaviour the default rules react to, a
 * runner that processes it in a fresh environment in one of several ways
 * (backlog, paced, kill -9, Redis restart) and collects the alert and
 * reward messages de-duplicated by id, and the comparison of two runs. */
#ifndef CALLPULSE_TEST_OUTPUTS_H
#define CALLPULSE_TEST_OUTPUTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define OUT_TOPIC "call-events"

typedef enum { OUT_EV_ANSWERED, OUT_EV_ENDED, OUT_EV_OTHER } out_kind;

/* One input event; the stream keeps them in production order. */
typedef struct out_event {
    char id[40];
    char agent[16];
    char call[40]; /* "" on agent_state */
    out_kind kind;
    int64_t ts;   /* epoch ms */
    int64_t send; /* when it is produced: ts plus its delay (disorder) */
    int dup;      /* a re-send of an earlier event (same event_id) */
    char json[640];
    size_t json_len;
} out_event;

typedef struct out_stream {
    out_event *ev; /* production order */
    size_t n;
    h_out *out;         /* the Kafka messages, keyed by agent */
    int32_t *partition; /* where each event landed (the reference run's) */
    int64_t *offset;
    int day_offset_min; /* puts a local midnight inside the stream */
    int64_t start_ms, end_ms;
} out_stream;

/* `agents` agents (p000...) over the two hours of event time that end at
 * end_ms, deterministic from seed: normal and fast agents, agents that
 * degrade and recover, agents that go quiet mid-stream (some while an
 * alert fires), long calls (one still open at the end), breaks, every
 * event type the processor accepts, duplicates and disorder within the
 * lateness horizon, one agent collecting points past the daily cap. */
void out_stream_make(out_stream *s, uint64_t seed, int agents, int64_t end_ms);
/* A stream of hand-written events (takes ev, which must be malloc'd). */
void out_stream_from_events(out_stream *s, out_event *ev, size_t n, int day_offset_min);
void out_stream_free(out_stream *s);

/* BACKLOG: everything produced, then the processor starts. PACED: the
 * processor runs and the events come in small chunks with short sleeps.
 * ONE_BY_ONE: one event at a time, each once the previous is committed.
 * KILL9: a backlog; the processor is killed -9 once about half the input
 * is committed, and started again. REDIS_RESTART: a backlog; Redis is
 * killed -9 once about half is committed and started again from its AOF. */
typedef enum { OUT_BACKLOG, OUT_PACED, OUT_ONE_BY_ONE, OUT_KILL9, OUT_REDIS_RESTART } out_mode;

/* How one run feeds the stream to the processor. */
typedef struct out_run {
    const char *name;
    out_mode mode;
    int batch_max;
} out_run;

/* What a run produced: alert_id -> message and reward_id -> message (the
 * first copy of each), and how it went. */
typedef struct out_result {
    json_t *alerts, *rewards;
    size_t alert_msgs, reward_msgs; /* copies read, duplicates included */
    int copies_differ;              /* copies of one id not identical (buddy aside) */
    double seconds;                 /* from the first start to the last exit */
} out_result;

/* The processor's config for a run, into cfg: idle_s 0 so the wall clock
 * never steps in, the day offset (minutes), quick group re-forms, fetches
 * that are not held, commits every 100 ms, and batch_max (events). */
void out_config(char *cfg, size_t size, int day_offset_min, int batch_max);

/* Run the stream in a fresh environment with `partitions` partitions.
 * The first run fills s->partition/offset; every later run must land each
 * event at the same place (else the test, not the processor, is wrong).
 * 0, or -1 with why (the processor died, never caught up, did not exit
 * cleanly, or the fault did not land mid-stream); the scratch directory
 * is then kept for its logs. res is filled in both cases as far as it
 * got. */
int out_run_stream(out_stream *s, const out_run *r, int partitions, out_result *res, char *why,
                   size_t whysz);
void out_result_free(out_result *res);

/* A copy of a message without buddy: the one field that may differ
 * between runs (contract 3). Caller decrefs. */
json_t *out_normalize(json_t *msg);

/* Add the message `value` to `into` (id field idf), checking that it is
 * keyed by its agent and that copies of one id agree. 0, or -1 with why. */
int out_collect(json_t *into, const char *idf, const void *key, size_t key_len, const char *value,
                size_t value_len, char *why, size_t whysz);

/* Compare run b with reference a (objects id -> message): every id in
 * both, every field equal but buddy. Prints the first `show` differences
 * of both sides to stderr under `label`. Returns the number of differing
 * ids. */
size_t out_compare(const char *label, json_t *a, json_t *b, size_t show);

/* The long-call alerts (rule rule_id, max_ms) the contract gives for the
 * stream where it landed (s->partition, s->offset): per partition in
 * offset order the clock is the largest ts so far; an open call fires at
 * the first event whose ts brings the clock to answered + max_ms (its
 * own call_ended too: it then resolves at once), with that clock as as_of, the
 * seconds it had lasted then as value, and the event's id when it is the
 * agent's own, else null; a fired call resolves at its call_ended with
 * the clock just after it and the call's whole length. Returns alert_id
 * -> {"state","as_of","value","event_id"}. */
json_t *out_expected_long_calls(const out_stream *s, const char *rule_id, int64_t max_ms);

/* The long-call messages (rule_id) of a run against out_expected_long_calls:
 * every expected one present with those fields, no other. Prints the
 * first `show` problems under label; returns their number. */
size_t out_check_long_calls(const char *label, json_t *expected, json_t *alerts,
                            const char *rule_id, size_t show);

/* Wait until the group's committed offsets of OUT_TOPIC sum to `target`
 * (with proc alive); 0, or -1 after timeout_ms or when proc died. */
int out_wait_committed(const h_env *e, const char *group, int partitions, int64_t target,
                       const h_proc *proc, int timeout_ms);

/* Read topic from its beginning into id -> message (id field idf); the
 * number of copies read. copies_differ is set when copies disagree. */
size_t out_read(const h_env *e, const char *topic, const char *idf, json_t *into,
                int *copies_differ);

#endif
