/* simulate.c -- `callpulse simulate`: produce synthetic call events.
 *
 * Drives the call-centre model (simmodel.h) and produces its events to the
 * input topic, keyed by agent. Pacing: --rate events per wall-clock second
 * (0: as fast as the producer goes). Event time runs faster than wall time
 * when the rate asks for more than the agents would naturally produce, so
 * the shift starts in the past (--backfill) and catches up with the wall
 * clock; an event is never sent before its own timestamp, so nothing is in
 * the future. */
#include "simulate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "kafka_io.h"
#include "log.h"
#include "simmodel.h"

typedef struct sim_opts {
    const char *brokers, *config_file;
    int agents, teams, struggling, jitter_ms;
    double rate, duration_s, bad, dup, backfill_s, degrade_after_s;
    long long events;
    unsigned long long seed;
} sim_opts;

typedef struct sim_stats {
    uint64_t produced, delivered, failed;
} sim_stats;

static void usage(FILE *out) {
    fprintf(out,
            "usage: callpulse simulate --brokers LIST [--agents N] [--teams N] [--rate EV_PER_S]\n"
            "                          [--duration S | --events N] [--struggling K] [--seed S]\n"
            "                          [--bad RATIO] [--dup RATIO] [--jitter-ms MS]\n"
            "                          [--backfill S] [--degrade-after S] [--config FILE]\n"
            "\n"
            "Produces realistic call-centre traffic to the input topic, keyed by agent:\n"
            "calls offered, answered or missed, ended, wrapped up; surveys and QA scores\n"
            "arriving later; agent state changes; K agents degrade mid-shift.\n"
            "\n"
            "  --brokers LIST      bootstrap servers (or CALLPULSE_BROKERS)\n"
            "  --agents N          agents (default 50)\n"
            "  --teams N           teams (default 5)\n"
            "  --rate R            events per second, 0 = unlimited (default 100)\n"
            "  --duration S        stop after S seconds\n"
            "  --events N          stop after N events\n"
            "  --struggling K      agents that degrade mid-shift (default 2)\n"
            "  --seed S            random seed (default 1)\n"
            "  --bad RATIO         share of invalid events, 0..1 (default 0)\n"
            "  --dup RATIO         share of events sent twice with the same event_id (default 0)\n"
            "  --jitter-ms MS      event-time disorder (default 1000)\n"
            "  --backfill S        start the shift S seconds in the past (default: computed)\n"
            "  --degrade-after S   event-time seconds after the start when the struggling\n"
            "                      agents degrade (default: half the run)\n"
            "  --config FILE       take the input topic and kafka.properties from a config\n");
}

static int bad_arg(const char *flag, const char *want) {
    fprintf(stderr, "callpulse simulate: %s: expected %s\n", flag, want);
    return 2;
}

static int num(const char *s, double lo, double hi, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, sim_opts *o) {
    static const struct option longopts[] = {{"brokers", required_argument, NULL, 'b'},
                                             {"agents", required_argument, NULL, 'a'},
                                             {"teams", required_argument, NULL, 't'},
                                             {"rate", required_argument, NULL, 'r'},
                                             {"duration", required_argument, NULL, 'd'},
                                             {"events", required_argument, NULL, 'n'},
                                             {"struggling", required_argument, NULL, 'k'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"bad", required_argument, NULL, 'x'},
                                             {"dup", required_argument, NULL, 'u'},
                                             {"jitter-ms", required_argument, NULL, 'j'},
                                             {"backfill", required_argument, NULL, 'f'},
                                             {"degrade-after", required_argument, NULL, 'g'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    double v;
    *o = (sim_opts){.agents = 50,
                    .teams = 5,
                    .struggling = 2,
                    .jitter_ms = 1000,
                    .rate = 100,
                    .backfill_s = -1,
                    .degrade_after_s = -1,
                    .events = -1,
                    .seed = 1};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b':
            o->brokers = optarg;
            break;
        case 'c':
            o->config_file = optarg;
            break;
        case 'a':
            if (num(optarg, 1, 100000, &v))
                return bad_arg("--agents", "1..100000");
            o->agents = (int)v;
            break;
        case 't':
            if (num(optarg, 1, 1000, &v))
                return bad_arg("--teams", "1..1000");
            o->teams = (int)v;
            break;
        case 'r':
            if (num(optarg, 0, 1e7, &o->rate))
                return bad_arg("--rate", "0..10000000");
            break;
        case 'd':
            if (num(optarg, 0, 1e7, &o->duration_s))
                return bad_arg("--duration", "seconds");
            break;
        case 'n':
            if (num(optarg, 0, 1e12, &v))
                return bad_arg("--events", "a count");
            o->events = (long long)v;
            break;
        case 'k':
            if (num(optarg, 0, 100000, &v))
                return bad_arg("--struggling", "0..agents");
            o->struggling = (int)v;
            break;
        case 's':
            if (num(optarg, 0, 1e18, &v))
                return bad_arg("--seed", "a non-negative integer");
            o->seed = strtoull(optarg, NULL, 10);
            break;
        case 'x':
            if (num(optarg, 0, 1, &o->bad))
                return bad_arg("--bad", "0..1");
            break;
        case 'u':
            if (num(optarg, 0, 1, &o->dup))
                return bad_arg("--dup", "0..1");
            break;
        case 'j':
            if (num(optarg, 0, 60000, &v))
                return bad_arg("--jitter-ms", "0..60000");
            o->jitter_ms = (int)v;
            break;
        case 'f':
            if (num(optarg, 0, 86400 * 30, &o->backfill_s))
                return bad_arg("--backfill", "seconds");
            break;
        case 'g':
            if (num(optarg, 0, 86400 * 30, &o->degrade_after_s))
                return bad_arg("--degrade-after", "seconds");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return cp_cli_unknown_option("simulate");
        }
    }
    if (cp_cli_no_operands("simulate", argc, argv))
        return 2;
    if (o->duration_s > 0 && o->events >= 0) {
        fprintf(stderr, "callpulse simulate: --duration and --events exclude each other\n");
        return 2;
    }
    if (o->teams > o->agents || o->struggling > o->agents) {
        fprintf(stderr, "callpulse simulate: --teams and --struggling must not exceed --agents\n");
        return 2;
    }
    return -1;
}

/* Event-time span of the run in seconds, or -1 when open-ended. A dry run
 * of the model measures it when the number of events is known. */
static double event_span_s(const sim_opts *o, const cp_sim_params *p) {
    long long n = o->events >= 0                     ? o->events
                  : o->duration_s > 0 && o->rate > 0 ? (long long)(o->rate * o->duration_s)
                                                     : -1;
    return n < 0 ? -1 : (double)cp_sim_span_ms(p, (uint64_t)n) / 1000.0;
}

/* Choose the shift's start (backfill seconds in the past) and when the
 * struggling agents degrade (by default half-way through the run). */
static void plan_shift(const sim_opts *o, cp_sim_params *p, int64_t wall_now, double *backfill) {
    double wall = o->events >= 0 ? (o->rate > 0 ? (double)o->events / o->rate : 0) : o->duration_s;
    double span;
    p->start_ms = 0;
    p->degrade_at_ms = INT64_MAX;
    span = event_span_s(o, p);
    double degrade = o->degrade_after_s >= 0 ? o->degrade_after_s : span > 0 ? span / 2 : 600;
    p->degrade_at_ms = (int64_t)(degrade * 1000);
    if (span > 0 && o->struggling > 0)
        span = event_span_s(o, p); /* degraded agents change the span */
    *backfill = o->backfill_s >= 0 ? o->backfill_s
                : span < 0         ? 3600
                : span > wall      ? span - wall
                                   : 0;
    p->start_ms = wall_now - (int64_t)(*backfill * 1000);
    p->degrade_at_ms += p->start_ms;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    sim_stats *st = opaque;
    (void)rk;
    if (m->err) {
        st->failed++;
        cp_warn("event not delivered: %s", rd_kafka_err2str(m->err));
    } else {
        st->delivered++;
    }
}

static int produce(rd_kafka_t *rk, const char *topic, const char *key, const char *value,
                   size_t len) {
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE((void *)value, len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            cp_error("produce failed: %s", rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 10);
    }
}

/* Sleep until mono time `due`, serving delivery reports; 0 if stopped. */
static int wait_until(rd_kafka_t *rk, int64_t due) {
    for (;;) {
        int64_t left = due - cp_now_mono_ms();
        if (cp_rt.stop)
            return 0;
        if (left <= 0)
            return 1;
        rd_kafka_poll(rk, (int)(left < 100 ? left : 100));
    }
}

static int run(const sim_opts *o, const cp_config *cfg, rd_kafka_t *rk, sim_stats *st) {
    char key[32], value[2048];
    size_t len;
    double backfill;
    cp_sim_params p = {.agents = o->agents,
                       .teams = o->teams,
                       .struggling = o->struggling,
                       .seed = o->seed,
                       .bad_ratio = o->bad,
                       .dup_ratio = o->dup,
                       .jitter_ms = o->jitter_ms};
    plan_shift(o, &p, cp_now_wall_ms(), &backfill);
    int64_t mono0 = cp_now_mono_ms();
    cp_sim *sim = cp_sim_new(&p);
    if (!sim)
        return -1;
    cp_info("simulating %d agents in %d teams (%d struggling) from %.0f s in the past, "
            "rate %.0f/s",
            o->agents, o->teams, o->struggling, backfill, o->rate);
    while (!cp_rt.stop) {
        if (o->events >= 0 && (long long)st->produced >= o->events)
            break;
        if (o->duration_s > 0 && cp_now_mono_ms() - mono0 >= (int64_t)(o->duration_s * 1000))
            break;
        if (o->rate > 0 && !wait_until(rk, mono0 + (int64_t)(st->produced * 1000 / o->rate)))
            break;
        int64_t ahead = cp_sim_peek_time(sim) - cp_now_wall_ms(); /* never in the future */
        if (ahead > 0 && !wait_until(rk, cp_now_mono_ms() + ahead))
            break;
        cp_sim_next(sim, key, sizeof(key), value, sizeof(value), &len);
        if (produce(rk, cfg->input_topic, key, value, len) != 0)
            break;
        st->produced++;
        rd_kafka_poll(rk, 0);
    }
    cp_sim_free(sim);
    return 0;
}

int cp_simulate_main(int argc, char **argv) {
    static const char *const defaults[] = {"linger.ms", "5", "client.id", "callpulse-simulate",
                                           NULL};
    sim_opts o;
    cp_config cfg;
    sim_stats st = {0, 0, 0};
    char err[CP_ERRBUF] = "";
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    int rc = parse_opts(argc, argv, &o);
    cp_flag_override flags[] = {{"kafka.brokers", "--brokers", o.brokers}};
    if (rc >= 0)
        return rc;
    if (cp_cli_config(&cfg, "simulate", o.config_file, flags, 1) != 0)
        return 2;
    cp_runtime_install_signals();
    rc = 1;
    if (!(conf = cp_kafka_conf(&cfg, defaults, NULL, err, sizeof(err))))
        goto done;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    if (!(rk = cp_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err))))
        goto done;
    int64_t t0 = cp_now_mono_ms();
    if (run(&o, &cfg, rk, &st) == 0)
        rc = 0;
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        cp_warn("%d event(s) still unsent after 30 s", rd_kafka_outq_len(rk));
    rd_kafka_destroy(rk);
    double secs = (double)(cp_now_mono_ms() - t0) / 1000.0;
    cp_info("produced %llu events (%llu delivered, %llu failed) in %.1f s",
            (unsigned long long)st.produced, (unsigned long long)st.delivered,
            (unsigned long long)st.failed, secs);
    if (st.failed > 0 || st.delivered < st.produced)
        rc = 1;
done:
    if (rc == 1 && err[0])
        cp_error("%s", err);
    cp_config_free(&cfg);
    return rc;
}
