/* broker.h -- `callpulse broker`, the embedded development Kafka broker. */
#ifndef CALLPULSE_BROKER_H
#define CALLPULSE_BROKER_H

/* The subcommand; argv[0] is "broker". Returns the process exit code. */
int cp_broker_main(int argc, char **argv);

#endif
