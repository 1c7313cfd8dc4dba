/* SPDX-License-Identifier: MIT */
/*
 * faultable.c - a probe that reads a file, on a faultable tracepoint.
 *
 * Probes of a faultable tracepoint run under the tasks-trace flavour: they
 * may sleep, block on I/O and take page faults. Probes of a normal
 * tracepoint run under the classic flavour and must not.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

TPS_TRACEPOINT_DECLARE_FAULTABLE(file_opened, TPS_PROTO(const char *path), TPS_ARGS(path));
TPS_TRACEPOINT_DEFINE(file_opened);

struct peek {
	char first_line[128];
	int hits;
};

/* Reads the start of the file the traced code opened: blocking I/O is fine here. */
static void peek_file(void *data, const char *path)
{
	struct peek *p = data;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	p->hits++;
	if (fd < 0)
		return;
	n = read(fd, p->first_line, sizeof(p->first_line) - 1);
	close(fd);
	if (n > 0) {
		p->first_line[n] = '\0';
		p->first_line[strcspn(p->first_line, "\n")] = '\0';
	}
}

static int open_config(const char *path)
{
	int fd = open(path, O_RDONLY);

	tps_trace_file_opened(path);
	return fd;
}

int main(void)
{
	struct peek p = {.hits = 0};
	int fd, err;

	/* TPS_PROBE_MAY_FAULT is required on a faultable tracepoint... */
	err = tps_register_trace_prio_flags_file_opened(peek_file, &p, TPS_PROBE_PRIO_DEFAULT,
	                                                TPS_PROBE_MAY_FAULT);
	if (err) {
		fprintf(stderr, "register: %d\n", err);
		return 1;
	}
	fd = open_config("/proc/self/status");
	if (fd >= 0)
		close(fd);
	tps_unregister_trace_file_opened(peek_file, &p);
	tps_tracepoint_synchronize_unregister();

	printf("faultable: %d hit, first line \"%s\"\n", p.hits, p.first_line);
	return p.hits == 1 && strncmp(p.first_line, "Name:", 5) == 0 ? 0 : 1;
}
