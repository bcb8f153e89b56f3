/* broker.c -- `callpulse broker`: the embedded development Kafka broker.
 *
 * librdkafka's mock cluster (rdkafka_mock.h) inside this process, listening
 * on loopback TCP, so kcat, the processor, the simulator and tests reach it
 * as they would reach Kafka. It creates the input, dead-letter and output
 * topics, proves it answers a metadata request from a separate client, then
 * writes its bootstrap list to a file (atomically) and to stdout, and lives
 * until SIGTERM/SIGINT. State is in memory only. Limits of the mock: at most
 * 100,000 message sets or 5 MB per partition are retained (older ones are
 * dropped), and there is no admin API, so topics are created here. */
#include "broker.h"

#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "kafka_io.h"
#include "log.h"

typedef struct broker_opts {
    int partitions;
    int brokers;
    const char *bootstrap_file;
    const char *config_file;
} broker_opts;

static void usage(FILE *out) {
    fprintf(out,
            "usage: callpulse broker [--partitions N] [--bootstrap-file FILE] [--config FILE]\n"
            "\n"
            "Runs a development Kafka broker (librdkafka's mock cluster) on loopback TCP.\n"
            "Creates the input, dead-letter, leaderboard, alert and reward topics (names\n"
            "from the config) with N partitions each, writes the bootstrap list to FILE and\n"
            "stdout once it answers, and runs until SIGTERM or SIGINT. Not for production:\n"
            "everything is in memory and each partition keeps at most 5 MB.\n"
            "\n"
            "  --partitions N        partitions per topic (default 8, 1..256)\n"
            "  --brokers N           brokers in the cluster (default 1, 1..5)\n"
            "  --bootstrap-file FILE write host:port[,host:port] here when ready\n"
            "  --config FILE         take topic names from this config\n");
}

static int parse_opts(int argc, char **argv, broker_opts *o) {
    static const struct option longopts[] = {{"partitions", required_argument, NULL, 'p'},
                                             {"brokers", required_argument, NULL, 'b'},
                                             {"bootstrap-file", required_argument, NULL, 'f'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt;
    char *end;
    *o = (broker_opts){8, 1, NULL, NULL};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            o->partitions = (int)strtol(optarg, &end, 10);
            if (*end || o->partitions < 1 || o->partitions > 256) {
                fprintf(stderr, "callpulse broker: --partitions: expected 1..256\n");
                return 2;
            }
            break;
        case 'b':
            o->brokers = (int)strtol(optarg, &end, 10);
            if (*end || o->brokers < 1 || o->brokers > 5) {
                fprintf(stderr, "callpulse broker: --brokers: expected 1..5\n");
                return 2;
            }
            break;
        case 'f':
            o->bootstrap_file = optarg;
            break;
        case 'c':
            o->config_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return cp_cli_unknown_option("broker");
        }
    }
    return cp_cli_no_operands("broker", argc, argv) ? 2 : -1;
}

/* Write via a temporary file and rename, so readers never see half. */
static int write_bootstrap(const char *path, const char *bootstraps) {
    char tmp[4096];
    FILE *f;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
        return -1;
    if (!(f = fopen(tmp, "w")))
        return -1;
    fprintf(f, "%s\n", bootstraps);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Remove the bootstrap file, unless another broker has written its own
 * there since: it would mislead clients less to keep it. */
static void remove_bootstrap(const char *path, const char *bootstraps) {
    char line[4096] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (strcmp(line, bootstraps) == 0)
        unlink(path);
}

/* A separate client asks for metadata: the listeners accept connections. */
static int wait_ready(const char *bootstraps, char *err, size_t errsz) {
    char rkerr[256];
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    rd_kafka_resp_err_t e;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, rkerr, sizeof(rkerr))) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errsz, "%s", rkerr);
        return -1;
    }
    if (!(rk = cp_kafka_new(RD_KAFKA_PRODUCER, conf, err, errsz)))
        return -1;
    e = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    if (e) {
        snprintf(err, errsz, "broker does not answer metadata requests: %s", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

static int create_topics(rd_kafka_mock_cluster_t *mc, const cp_config *cfg, int partitions,
                         int replicas, char *err, size_t errsz) {
    const char *topics[] = {cfg->input_topic, cfg->dlq_topic, cfg->leaderboard_topic,
                            cfg->alerts_topic, cfg->rewards_topic};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], partitions, replicas);
        if (e) {
            snprintf(err, errsz, "cannot create topic %s: %s", topics[i], rd_kafka_err2str(e));
            return -1;
        }
    }
    return 0;
}

int cp_broker_main(int argc, char **argv) {
    broker_opts o;
    cp_config cfg;
    char err[CP_ERRBUF];
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    int rc = parse_opts(argc, argv, &o);

    if (rc >= 0)
        return rc;
    if (cp_cli_config(&cfg, "broker", o.config_file, NULL, 0) != 0)
        return 2;
    cp_runtime_install_signals();

    rc = 1;
    /* the cluster's own handle: it never connects anywhere, so it needs no
     * bootstrap servers, only quiet logs */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    if (!(rk = cp_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err))))
        goto done;
    if (!(mc = rd_kafka_mock_cluster_new(rk, o.brokers))) {
        snprintf(err, sizeof(err), "cannot start the mock cluster");
        goto done;
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    if (create_topics(mc, &cfg, o.partitions, o.brokers < 3 ? o.brokers : 3, err, sizeof(err)) !=
            0 ||
        wait_ready(bootstraps, err, sizeof(err)) != 0)
        goto done;
    if (o.bootstrap_file && write_bootstrap(o.bootstrap_file, bootstraps) != 0) {
        snprintf(err, sizeof(err), "cannot write %s", o.bootstrap_file);
        goto done;
    }
    printf("%s\n", bootstraps);
    fflush(stdout);
    cp_info("embedded broker ready at %s (%d partitions per topic)", bootstraps, o.partitions);
    while (!cp_rt.stop)
        usleep(100 * 1000);
    cp_info("stopping embedded broker");
    rc = 0;
done:
    if (rc != 0)
        cp_error("%s", err);
    if (o.bootstrap_file && rc == 0 && mc)
        remove_bootstrap(o.bootstrap_file, rd_kafka_mock_cluster_bootstraps(mc));
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (rk)
        rd_kafka_destroy(rk);
    cp_config_free(&cfg);
    return rc;
}
