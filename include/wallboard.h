/* wallboard.h -- `callpulse wallboard`, the live terminal wallboard. */
#ifndef CALLPULSE_WALLBOARD_H
#define CALLPULSE_WALLBOARD_H

/* The subcommand; argv[0] is "wallboard". Returns the process exit code. */
int cp_wallboard_main(int argc, char **argv);

#endif
