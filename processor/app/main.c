/* main.c -- the callpulse program: subcommand dispatch, `run` and
 * `check-config`.
 *
 * Exit codes (contract section 1): 0 success, 2 usage or configuration
 * error (one line on stderr naming the flag or key), 1 runtime failure. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cli.h"
#include "config.h"
#include "consumer.h"
#include "health.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "produce.h"
#include "simulate.h"
#include "wallboard.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: callpulse <command> [options]\n"
            "\n"
            "commands:\n"
            "  run           consume call events and keep KPIs, alerts, rewards, boards\n"
            "  broker        run the embedded development Kafka broker\n"
            "  simulate      produce synthetic call-centre traffic\n"
            "  wallboard     a live terminal wallboard of boards, alerts and rewards\n"
            "  check-config  validate a configuration file\n"
            "\n"
            "Every command has --help. callpulse %s\n",
            CALLPULSE_VERSION);
}

static void run_usage(FILE *out) {
    fprintf(out,
            "usage: callpulse run [--config FILE] [--brokers LIST] [--redis URL] [--group ID]\n"
            "                     [--http ADDR:PORT]\n"
            "\n"
            "Consumes call events until SIGTERM or SIGINT, then finishes the batch in hand,\n"
            "commits, flushes and exits 0. Flags override the environment, which overrides\n"
            "the file, which overrides the defaults:\n\n");
    cp_config_print_reference(out);
}

static int run_main(int argc, char **argv) {
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"brokers", required_argument, NULL, 'b'},
                                             {"redis", required_argument, NULL, 'r'},
                                             {"group", required_argument, NULL, 'g'},
                                             {"http", required_argument, NULL, 'H'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    cp_flag_override flags[] = {{"kafka.brokers", "--brokers", NULL},
                                {"redis.url", "--redis", NULL},
                                {"kafka.group_id", "--group", NULL},
                                {"http.listen", "--http", NULL}};
    const char *config_file = NULL;
    char err[CP_ERRBUF], summary[1024];
    cp_config cfg;
    cp_metrics metrics;
    cp_metrics_values v;
    cp_health health;
    cp_http http;
    int opt, rc;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_file = optarg;
            break;
        case 'b':
            flags[0].value = optarg;
            break;
        case 'r':
            flags[1].value = optarg;
            break;
        case 'g':
            flags[2].value = optarg;
            break;
        case 'H':
            flags[3].value = optarg;
            break;
        case 'h':
            run_usage(stdout);
            return 0;
        default:
            return cp_cli_unknown_option("run");
        }
    }
    if (cp_cli_no_operands("run", argc, argv) ||
        cp_cli_config(&cfg, "run", config_file, flags, sizeof(flags) / sizeof(flags[0])) != 0)
        return 2;
    cp_runtime_install_signals();
    const char *crash = getenv("CALLPULSE_TEST_CRASH");
    cp_rt.crash_after_commit = crash && strcmp(crash, "after-commit") == 0;
    cp_metrics_init(&metrics);
    memset(&http, 0, sizeof(http));
    int have_health = cp_health_init(&health, &cfg, err, sizeof(err)) == 0;
    if (!have_health || cp_http_start(&http, &cfg, &metrics, &health, err, sizeof(err)) != 0) {
        cp_error("%s", err);
        rc = 1;
        goto done;
    }
    rc = cp_consumer_run(&cfg, &metrics, &health, err, sizeof(err)) == 0 ? 0 : 1;
    if (rc != 0)
        cp_error("%s", err);
    cp_metrics_snapshot(&metrics, &v);
    cp_metrics_summary(&v, summary, sizeof(summary));
    cp_info("stopped: %s", summary);
done:
    cp_http_stop(&http);
    if (have_health)
        cp_health_free(&health);
    cp_metrics_destroy(&metrics);
    cp_config_free(&cfg);
    return rc;
}

/* Some properties librdkafka checks only when a client is created (a
 * SASL mechanism, a TLS file): create the processor's producer, as run
 * would but with no bootstrap servers (so it connects nowhere), and let it
 * go at once. The copy shares cfg's properties and is not freed. */
static int check_kafka_client(const cp_config *cfg, char *err, size_t errsz) {
    cp_config offline = *cfg;
    cp_log_level level = cp_rt.log_level;
    offline.brokers[0] = '\0';
    cp_rt.log_level = CP_LOG_WARN; /* not its note that it has no servers */
    char why[CP_ERRBUF];
    rd_kafka_t *rk = cp_producer_new(&offline, why, sizeof(why));
    if (rk)
        rd_kafka_destroy(rk);
    else
        snprintf(err, errsz, "kafka.properties: %.*s", (int)(errsz > 20 ? errsz - 20 : 0), why);
    cp_rt.log_level = level;
    return rk ? 0 : -1;
}

static int check_config_main(int argc, char **argv) {
    char err[CP_ERRBUF];
    cp_config cfg;
    int rc = 0;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: callpulse check-config FILE\n\n"
               "Validates FILE (with CALLPULSE_* environment overrides) and creates the\n"
               "processor's Kafka producer from it (no connection needed). Exits 0 when valid,\n"
               "2 with one line naming the bad key otherwise. Keys and defaults:\n\n");
        cp_config_print_reference(stdout);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "callpulse check-config: expected exactly one FILE\n");
        return 2;
    }
    if (cp_config_build(&cfg, argv[1], err, sizeof(err)) != 0 ||
        cp_config_validate(&cfg, err, sizeof(err)) != 0 ||
        check_kafka_client(&cfg, err, sizeof(err)) != 0) {
        cp_cli_error("check-config", err);
        rc = 2;
    } else {
        printf("%s: ok\n", argv[1]);
    }
    cp_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } commands[] = {{"run", run_main},
                    {"broker", cp_broker_main},
                    {"simulate", cp_simulate_main},
                    {"wallboard", cp_wallboard_main},
                    {"check-config", check_config_main}};

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("callpulse %s\n", CALLPULSE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "callpulse: unknown command '%s' (see --help)\n", argv[1]);
    return 2;
}
