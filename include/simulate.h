/* simulate.h -- `callpulse simulate`, synthetic call-centre traffic. */
#ifndef CALLPULSE_SIMULATE_H
#define CALLPULSE_SIMULATE_H

/* The subcommand; argv[0] is "simulate". Returns the process exit code. */
int cp_simulate_main(int argc, char **argv);

#endif
