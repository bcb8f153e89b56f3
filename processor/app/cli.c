/* cli.c -- plumbing shared by the subcommands' command lines (cli.h). */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

int cp_cli_config(cp_config *cfg, const char *cmd, const char *path, const cp_flag_override *flags,
                  size_t nflags) {
    char err[CP_ERRBUF];
    if (cp_config_build(cfg, path, err, sizeof(err)) != 0)
        goto fail;
    for (size_t i = 0; i < nflags; i++) {
        if (flags[i].value &&
            cp_config_set(cfg, flags[i].key, flags[i].value, err, sizeof(err)) != 0) {
            fprintf(stderr, "callpulse %s: %s: %s\n", cmd, flags[i].flag, err);
            cp_config_free(cfg);
            return 2;
        }
    }
    if (cp_config_validate(cfg, err, sizeof(err)) != 0)
        goto fail;
    cp_rt.component = cmd;
    cp_rt.log_level = cfg->log_level;
    cp_rt.log_format = cfg->log_format;
    return 0;
fail:
    cp_cli_error(cmd, err);
    cp_config_free(cfg);
    return 2;
}

void cp_cli_error(const char *cmd, const char *err) {
    const char *line = err;
    do { /* one mistake per line, each naming its key */
        size_t n = strcspn(line, "\n");
        fprintf(stderr, "callpulse %s: %.*s\n", cmd, (int)n, line);
        line += n;
    } while (*line++ == '\n');
}

int cp_cli_no_operands(const char *cmd, int argc, char **argv) {
    if (optind >= argc)
        return 0;
    fprintf(stderr, "callpulse %s: unexpected argument '%s'\n", cmd, argv[optind]);
    return 2;
}

int cp_cli_unknown_option(const char *cmd) {
    fprintf(stderr, "callpulse %s: unknown option (see --help)\n", cmd);
    return 2;
}
