/* SPDX-License-Identifier: MIT */
/*
 * main.c - tpsync-bench: one executable, one subcommand per question
 * (bench/README.md).
 *
 *   tpsync-bench SUBCOMMAND [--quick|--full] [--impl a,b,...]
 *                [--threads 1,2,...] [--runs N] [--json FILE]
 *                [--variant a,b,...] [--updater]
 *   tpsync-bench report FILE.jsonl [--out DIR]
 *
 * Exit status: 0 when every measurement ran, 1 when one failed, 2 on a usage
 * error (unknown subcommand, option or implementation).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define EXIT_USAGE 2

/* Every measuring subcommand, in the order `all` runs them. */
static const struct bench_subcommand subcommands[] = {
        {"readside", "ns per read-side lock/unlock pair, per implementation and thread count",
         bench_readside, bench_readside_knows_impl, bench_readside_print_impls},
        {"barrier", "ns per fence; membarrier against busy and sleeping threads", bench_barrier,
         bench_barrier_knows_impl, bench_barrier_print_impls},
        {"gp", "grace-period latency per flavour and scenario; call_*; sharing", bench_gp,
         bench_gp_knows_impl, bench_gp_print_impls},
        {"tracepoint", "ns per tracepoint call site by probe count; register latency",
         bench_tracepoint, bench_tracepoint_knows_impl, bench_tracepoint_print_impls},
        {"callbacks", "callback throughput, latency, backlog and RSS: flat, bursty, flood",
         bench_callbacks, bench_callbacks_knows_impl, bench_callbacks_print_impls},
};

/* The variants of `readside` (readside.c), for --variant. */
static const char *const variants[] = {"base", "nested", "updater", "fallback", "resolution"};

#define NSUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fputs("usage: tpsync-bench SUBCOMMAND [--quick|--full] [--impl a,b,...]\n"
	      "                    [--threads 1,2,...] [--runs N] [--json FILE]\n"
	      "                    [--variant a,b,...] [--updater]\n"
	      "       tpsync-bench report FILE.jsonl [--out DIR]\n"
	      "\nsubcommands:\n",
	      f);
	for (size_t i = 0; i < NSUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fputs("  all        every subcommand above, in this order; with --json FILE, then\n"
	      "             the report of FILE in FILE's directory\n"
	      "  report     tpsync-bench report FILE.jsonl [--out DIR]: report.md and plots\n"
	      "\noptions:\n"
	      "  --quick            short run (the default)\n"
	      "  --full             long run: more repetitions, longer batches\n"
	      "  --impl LIST        only these implementations (comma-separated)\n"
	      "  --threads LIST     thread counts to measure (comma-separated): readside\n"
	      "                     and tracepoint threads, barrier's busy threads\n"
	      "  --runs N           timed repetitions per measurement\n"
	      "  --json FILE        write JSON lines to FILE: a context record, then one\n"
	      "                     record per measurement\n"
	      "  --variant LIST     readside variants: base,nested,updater,fallback,resolution\n"
	      "  --updater          readside with a concurrent updater: --variant updater\n",
	      f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tpsync-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}

bool bench_impl_selected(const struct bench_opts *o, const char *name)
{
	if (o->nimpls == 0)
		return true;
	for (unsigned int i = 0; i < o->nimpls; i++)
		if (strcmp(o->impls[i], name) == 0)
			return true;
	return false;
}

bool bench_variant_selected(const struct bench_opts *o, const char *name)
{
	if (o->nvariants == 0)
		return true;
	for (unsigned int i = 0; i < o->nvariants; i++)
		if (strcmp(o->variants[i], name) == 0)
			return true;
	return false;
}

unsigned int bench_runs(const struct bench_opts *o, unsigned int quick, unsigned int full)
{
	if (o->runs)
		return o->runs;
	return o->mode == BENCH_FULL ? full : quick;
}

static bool known_variant(const char *name)
{
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++)
		if (strcmp(variants[i], name) == 0)
			return true;
	return false;
}

/* Parse a decimal in [1, max]; false when s is anything else. */
static bool parse_count(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* Split a comma-separated list in place; empty items are an error. */
static char **split_list(char *s, unsigned int *n)
{
	unsigned int cap = 1;
	char **v, *save = NULL, *tok;

	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return NULL;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return NULL;
	*n = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		v[(*n)++] = tok;
	return v;
}

/* The value of an option: "--opt VALUE" or "--opt=VALUE". NULL when missing. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
	size_t len = strlen(opt);

	if (strncmp(argv[*i], opt, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_option(const char *arg, const char *opt)
{
	size_t len = strlen(opt);

	return strncmp(arg, opt, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

/* --threads LIST: counts in [1, BENCH_MAX_THREADS], duplicates dropped. */
static int parse_threads(const char *v, struct bench_opts *o)
{
	char *copy, **items;
	unsigned int n = 0;

	if (!v || !(copy = strdup(v)) || !(items = split_list(copy, &n)))
		return usage_error("bad --threads list: '%s'", v ? v : "");
	o->threads = calloc(n, sizeof(*o->threads));
	if (!o->threads)
		return usage_error("out of memory parsing '%s'", v);
	for (unsigned int k = 0; k < n; k++) {
		unsigned int t, dup = 0;

		if (!parse_count(items[k], BENCH_MAX_THREADS, &t))
			return usage_error("bad thread count '%s' (1 to %d)", items[k],
			                   BENCH_MAX_THREADS);
		for (unsigned int m = 0; m < o->nthreads; m++)
			dup |= o->threads[m] == t;
		if (!dup)
			o->threads[o->nthreads++] = t;
	}
	free(items);
	free(copy);
	return 0;
}

/* --variant LIST: names of readside variants. */
static int parse_variants(const char *v, struct bench_opts *o)
{
	char *copy;

	if (!v || !(copy = strdup(v)) || !(o->variants = split_list(copy, &o->nvariants)))
		return usage_error("bad --variant list: '%s'", v ? v : "");
	for (unsigned int k = 0; k < o->nvariants; k++)
		if (!known_variant(o->variants[k]))
			return usage_error("unknown variant '%s'", o->variants[k]);
	return 0;
}

/* One option at argv[*i] (its value may take argv[*i + 1]); 0 or an exit status. */
static int parse_option(int argc, char **argv, int *i, struct bench_opts *o, const char **json_path)
{
	const char *a = argv[*i], *v;
	char *copy;

	if (strcmp(a, "--quick") == 0 || strcmp(a, "--full") == 0) {
		o->mode = a[2] == 'f' ? BENCH_FULL : BENCH_QUICK;
	} else if (is_option(a, "--impl")) {
		if (!(v = option_value(argc, argv, i, "--impl")) || !(copy = strdup(v)) ||
		    !(o->impls = split_list(copy, &o->nimpls)))
			return usage_error("bad --impl list: '%s'", v ? v : "");
	} else if (is_option(a, "--threads")) {
		return parse_threads(option_value(argc, argv, i, "--threads"), o);
	} else if (is_option(a, "--runs")) {
		if (!(v = option_value(argc, argv, i, "--runs")) ||
		    !parse_count(v, 100000, &o->runs))
			return usage_error("bad --runs value: '%s'", v ? v : "");
	} else if (is_option(a, "--variant")) {
		return parse_variants(option_value(argc, argv, i, "--variant"), o);
	} else if (strcmp(a, "--updater") == 0) {
		/* The readside rows with a concurrent updater: --variant updater. */
		return parse_variants("updater", o);
	} else if (is_option(a, "--json")) {
		if (!(v = option_value(argc, argv, i, "--json")) || !*v)
			return usage_error("--json needs a file name");
		*json_path = v;
	} else {
		return usage_error("unknown option '%s'", a);
	}
	return 0;
}

static int parse_options(int argc, char **argv, struct bench_opts *o, const char **json_path)
{
	for (int i = 2; i < argc; i++) {
		int rc = parse_option(argc, argv, &i, o, json_path);

		if (rc)
			return rc;
	}
	return 0;
}

/* Every --impl name must mean something to one of the subcommands that run. */
static int check_impls(const struct bench_opts *o, const struct bench_subcommand *only)
{
	for (unsigned int i = 0; i < o->nimpls; i++) {
		bool known = false;

		for (size_t k = 0; k < NSUBCOMMANDS; k++)
			if (!only || only == &subcommands[k])
				known |= subcommands[k].knows_impl(o->impls[i]);
		if (known)
			continue;
		fprintf(stderr, "tpsync-bench: unknown implementation '%s'; known:\n", o->impls[i]);
		for (size_t k = 0; k < NSUBCOMMANDS; k++) {
			if (only && only != &subcommands[k])
				continue;
			fprintf(stderr, "  %s:", subcommands[k].name);
			subcommands[k].print_impls(stderr);
			fputc('\n', stderr);
		}
		return EXIT_USAGE;
	}
	return 0;
}

/* Static, so that what the options point to stays reachable for LeakSanitizer. */
static struct bench_opts o = {.mode = BENCH_QUICK};

/* The subcommand argv[1] names; NULL for `all`; exits with a usage error when unknown. */
static const struct bench_subcommand *find_subcommand(const char *name, bool *all)
{
	*all = strcmp(name, "all") == 0;
	for (size_t k = 0; k < NSUBCOMMANDS && !*all; k++)
		if (strcmp(name, subcommands[k].name) == 0)
			return &subcommands[k];
	if (!*all)
		exit(usage_error("unknown subcommand '%s'", name));
	return NULL;
}

/* Open --json FILE and write the context record; 0 or an exit status. */
static int open_json(const char *path)
{
	if (!path)
		return 0;
	o.json = fopen(path, "w");
	if (!o.json) {
		fprintf(stderr, "tpsync-bench: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	bench_json_context(o.json);
	return 0;
}

int main(int argc, char **argv)
{
	const struct bench_subcommand *sub;
	const char *json_path = NULL;
	bool all;
	int rc, status = 0;

	if (argc < 2)
		return usage_error("no subcommand");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "report") == 0)
		return bench_report_main(argc - 1, argv + 1);
	sub = find_subcommand(argv[1], &all);
	rc = parse_options(argc, argv, &o, &json_path);
	if (!rc)
		rc = check_impls(&o, sub);
	if (!rc)
		rc = open_json(json_path);
	if (rc)
		return rc;
	for (size_t k = 0; k < NSUBCOMMANDS; k++)
		if ((all || sub == &subcommands[k]) && subcommands[k].run(&o) != 0)
			status = 1;
	if (o.json && fclose(o.json) != 0) {
		fprintf(stderr, "tpsync-bench: writing %s: %s\n", json_path, strerror(errno));
		return 1;
	}
	/* `all` ends with the report, beside its JSON lines, from what was measured. */
	if (all && json_path) {
		char name[] = "report";
		char *report_argv[] = {name, (char *)json_path, NULL};

		if (bench_report_main(2, report_argv) != 0)
			status = 1;
	} else if (all) {
		fputs("tpsync-bench: no report without --json FILE\n", stderr);
	}
	return status;
}
