/*
 * exitcode: the exit codes of every kwangmyong subcommand (README,
 * "Command line"), for the front end in cli/ and the commands it runs from
 * server/ and ingest/.  Layer: lib/, a header only.
 */
#ifndef KW_EXITCODE_H
#define KW_EXITCODE_H

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_FATAL = 2 };

#endif
