/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cli.h - the subcommands of warden and the exit statuses they share. */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

/* Exit statuses of every subcommand. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,  /* the command could not do its job (kernel, I/O) */
	EXIT_USAGE = 2, /* bad input: nothing was changed */
};

#define WARDEN_VERSION "0.1.0"
#define WARDEN_DEFAULT_PIN_PATH "/sys/fs/bpf/warden"

/* Each returns an exit status; argv[0] is the subcommand's name. */
int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_ban(int argc, char **argv);
int cmd_unban(int argc, char **argv);
int cmd_allow(int argc, char **argv);
int cmd_unallow(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_routes(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_throttle(int argc, char **argv);
int cmd_shed(int argc, char **argv);
int cmd_capture(int argc, char **argv);

#endif
