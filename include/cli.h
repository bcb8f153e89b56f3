/* cli.h -- plumbing shared by the subcommands' command lines. */
#ifndef CALLPULSE_CLI_H
#define CALLPULSE_CLI_H

#include "config.h"

/* A flag that sets a configuration key; value NULL when not given. */
typedef struct cp_flag_override {
    const char *key, *flag, *value;
} cp_flag_override;

/* Assemble a command's configuration: defaults, FILE (may be NULL), the
 * environment, then the given flags; validate; apply the log settings and
 * the component name to the runtime. Returns 0, or 2 after printing one
 * line "callpulse CMD: ..." naming the key or flag. */
int cp_cli_config(cp_config *cfg, const char *cmd, const char *path, const cp_flag_override *flags,
                  size_t nflags);

/* Print err on stderr, every line prefixed "callpulse CMD: ". */
void cp_cli_error(const char *cmd, const char *err);

/* After getopt: 0 when no operands remain, else 2 after printing one line. */
int cp_cli_no_operands(const char *cmd, int argc, char **argv);

/* The message for an unknown option; returns 2. */
int cp_cli_unknown_option(const char *cmd);

#endif
