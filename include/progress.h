/* progress.h -- per-partition progress of the consumer.
 *
 * For each assigned input partition it knows: the offset after the last
 * message fully handled (`next`), the dead letters still waiting for the
 * broker's acknowledgement, and the partition's event-time clock (the
 * largest accepted `ts`, which decides what is too late). From these it
 * derives the safe commit position: the first offset not yet fully handled.
 * The clock at that position travels with the commit as offset metadata,
 * so a restart resumes with exactly the clock a clean pass had there. */
#ifndef CALLPULSE_PROGRESS_H
#define CALLPULSE_PROGRESS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#define CP_CLOCK_UNSET INT64_MIN

typedef struct cp_pending {
    int64_t offset;
    int64_t clock_before; /* partition clock before this message */
    int done;
} cp_pending;

typedef struct cp_partition {
    int32_t partition;
    int64_t next;            /* first offset not yet handled; -1 unknown */
    int64_t clock_ms;        /* largest accepted ts; CP_CLOCK_UNSET if none */
    int64_t handled_clock;   /* the clock just after offset next-1 */
    int64_t committed;       /* last offset sent in a commit; -1 none */
    int64_t committed_clock; /* ... and the clock sent with it */
    int64_t read_next;       /* offset after the last message taken from Kafka */
    int64_t seen_ms;         /* monotonic ms a message of it was last taken (or assigned) */
    int64_t first_read;      /* offset of the first message taken since assigned; -1 none */
    int64_t waiting;         /* messages known unread behind read_next (watermarks) */
    int64_t hold;            /* the engine holds a write behind from here (engine.h); -1 none */
    int64_t hold_clock;      /* ... with the clock before it */
    cp_pending *pend;        /* ring of in-flight dead letters, ascending */
    size_t head, count, cap;
} cp_partition;

typedef struct cp_progress {
    cp_partition *parts;
    size_t n;
    int32_t *slot; /* partition id -> index in parts, -1 when not assigned */
    size_t nslot;
    uint64_t generation; /* bumped on every assignment change */
} cp_progress;

void cp_progress_init(cp_progress *p);
void cp_progress_clear(cp_progress *p);

/* Replace the assignment. `committed` is the list returned by
 * rd_kafka_committed(): offsets and metadata restore next and clock. */
int cp_progress_assign(cp_progress *p, const rd_kafka_topic_partition_list_t *committed);

cp_partition *cp_progress_find(cp_progress *p, int32_t partition);

/* A message at `offset` is handled: its effects are stored (or it was
 * rejected and its dead letter is recorded as pending). clock_after is the
 * partition clock just after it. */
void cp_progress_handled(cp_partition *part, int64_t offset, int64_t clock_after);

/* The partition's clock stepped to clock_ms with the wall clock while it
 * was quiet (contract 3): committed with the offset where it stands. */
void cp_progress_clock_step(cp_partition *part, int64_t clock_ms);

/* Record an in-flight dead letter at `offset`; -1 when out of memory. */
int cp_progress_pending_add(cp_partition *part, int64_t offset);

/* The broker acknowledged the dead letter at (partition, offset). Ignored
 * when the generation changed in between. */
void cp_progress_pending_done(cp_progress *p, uint64_t generation, int32_t partition,
                              int64_t offset);

/* Number of dead letters still in flight over all partitions. */
size_t cp_progress_pending_total(const cp_progress *p);

/* Holds (engine.h: write-behind): where a write behind starts. They move
 * the positions of cp_progress_positions; commits follow progress
 * (contract 7), except that a partition that is caught up (waiting 0)
 * while it holds a write behind is not committed until that write is done,
 * so that lag 0 means stored. Forget them all, then lower a partition's to
 * offset (with the clock just before it). */
void cp_progress_holds_clear(cp_progress *p);
void cp_progress_hold(cp_progress *p, int32_t partition, int64_t offset, int64_t clock_ms);

/* First offset not fully handled, and the clock to commit with it. -1 when
 * nothing was handled since the assignment. */
int64_t cp_progress_safe(const cp_partition *part, int64_t *clock_ms);

/* Build the list of partitions whose safe position moved past the last
 * commit, with clock metadata; NULL when nothing to commit. Marks them as
 * committed. The caller commits it and destroys the list. */
rd_kafka_topic_partition_list_t *cp_progress_commit_list(cp_progress *p, const char *topic,
                                                         int force);

/* Where every assigned partition must be read again from to lose nothing
 * (a rewind): its safe position, or the first offset taken when nothing
 * was handled, or its hold when that is lower, with the clock there as
 * metadata; RD_KAFKA_OFFSET_INVALID when nothing was taken (reading has
 * not started). NULL on out of memory; the caller destroys it. */
rd_kafka_topic_partition_list_t *cp_progress_positions(const cp_progress *p, const char *topic);

/* Forget what was committed for a partition so the next tick resends. */
void cp_progress_commit_failed(cp_progress *p, int32_t partition);

/* Offset commit metadata: "cp1 clock=<ms>". */
int cp_progress_metadata_parse(const void *md, size_t size, int64_t *clock_ms);

#endif
