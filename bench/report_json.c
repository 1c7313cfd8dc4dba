/* SPDX-License-Identifier: MIT */
/*
 * report_json.c - read tpsync-bench's JSON lines back, and query them.
 *
 * A purpose-built parser: each line is one flat object whose values are
 * strings (with the escapes bench_json_str() writes, and \uXXXX below 0x80),
 * numbers, true, false or null. Anything else makes the line "bad": it is
 * skipped and counted.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "report.h"

struct cursor {
	const char *p;
};

static void skip_space(struct cursor *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
		c->p++;
}

static bool expect(struct cursor *c, char ch)
{
	skip_space(c);
	if (*c->p != ch)
		return false;
	c->p++;
	return true;
}

/* One escape after the backslash; false when it is not one we write. */
static bool parse_escape(struct cursor *c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit = strchr(from, *c->p);
	unsigned int code;

	if (*c->p && hit) {
		*out = to[hit - from];
		c->p++;
		return true;
	}
	if (*c->p != 'u' || sscanf(c->p + 1, "%4x", &code) != 1 || code >= 0x80 || code == 0)
		return false;
	*out = (char)code;
	c->p += 5;
	return true;
}

/* A string at the cursor, unescaped into a new allocation; NULL on error. */
static char *parse_string(struct cursor *c)
{
	char *s, *o;

	if (!expect(c, '"'))
		return NULL;
	s = o = bench_calloc(strlen(c->p) + 1, 1);
	while (*c->p && *c->p != '"') {
		if (*c->p == '\\') {
			c->p++;
			if (!parse_escape(c, o++))
				break;
		} else {
			*o++ = *c->p++;
		}
	}
	if (*c->p != '"') {
		free(s);
		return NULL;
	}
	c->p++;
	return s;
}

static bool parse_literal(struct cursor *c, const char *word)
{
	size_t len = strlen(word);

	if (strncmp(c->p, word, len) != 0)
		return false;
	c->p += len;
	return true;
}

static bool parse_value(struct cursor *c, struct report_field *f)
{
	char *end;

	skip_space(c);
	if (*c->p == '"') {
		f->type = REPORT_STR;
		return (f->str = parse_string(c)) != NULL;
	}
	if (parse_literal(c, "true") || parse_literal(c, "false")) {
		f->type = REPORT_BOOL;
		f->num = c->p[-2] == 'u'; /* "true" */
		return true;
	}
	if (parse_literal(c, "null")) {
		f->type = REPORT_NULL;
		f->num = NAN;
		return true;
	}
	f->num = strtod(c->p, &end);
	if (end == c->p)
		return false;
	f->type = REPORT_NUM;
	c->p = end;
	return true;
}

/* Room for one more element in *v (of *n, *cap), doubling from first. */
static void *grow(void *v, size_t n, size_t *cap, size_t elem, size_t first)
{
	if (n < *cap)
		return v;
	*cap = *cap ? 2 * *cap : first;
	v = realloc(v, *cap * elem);
	if (!v) {
		fprintf(stderr, "tpsync-bench: out of memory\n");
		exit(1);
	}
	return v;
}

static void free_record(struct report_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->fields[i].key);
		free(r->fields[i].str);
	}
	free(r->fields);
	*r = (struct report_record){0};
}

/* One line as a record; false (and nothing allocated) when it is not a flat object. */
static bool parse_record(const char *line, struct report_record *r)
{
	struct cursor c = {line};
	size_t cap = 0;

	*r = (struct report_record){0};
	if (!expect(&c, '{'))
		return false;
	skip_space(&c);
	if (*c.p == '}')
		return false;
	do {
		struct report_field f = {0};

		r->fields = grow(r->fields, r->n, &cap, sizeof(*r->fields), 16);
		f.key = parse_string(&c);
		if (!f.key || !expect(&c, ':') || !parse_value(&c, &f)) {
			free(f.key);
			free_record(r);
			return false;
		}
		r->fields[r->n++] = f;
	} while (expect(&c, ','));
	if (!expect(&c, '}') || (skip_space(&c), *c.p)) {
		free_record(r);
		return false;
	}
	return true;
}

int report_load(const char *path, struct report_file *out)
{
	FILE *in = fopen(path, "r");
	char *line = NULL;
	size_t len = 0, cap = 0, lineno = 0;

	*out = (struct report_file){0};
	if (!in) {
		perror(path);
		return -1;
	}
	while (getline(&line, &len, in) > 0) {
		struct report_record r;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (parse_record(line, &r)) {
			out->records = grow(out->records, out->n, &cap, sizeof(*out->records), 256);
			out->records[out->n++] = r;
		} else {
			fprintf(stderr,
			        "tpsync-bench: report: %s:%zu: not a flat JSON object, skipped\n",
			        path, lineno);
			out->bad_lines++;
		}
	}
	free(line);
	fclose(in);
	return 0;
}

void report_free(struct report_file *f)
{
	for (size_t i = 0; i < f->n; i++)
		free_record(&f->records[i]);
	free(f->records);
	*f = (struct report_file){0};
}

static const struct report_field *field(const struct report_record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return &r->fields[i];
	return NULL;
}

const char *report_str(const struct report_record *r, const char *key)
{
	const struct report_field *f = field(r, key);

	return f && f->type == REPORT_STR ? f->str : NULL;
}

double report_num(const struct report_record *r, const char *key)
{
	const struct report_field *f = field(r, key);

	return f && (f->type == REPORT_NUM || f->type == REPORT_BOOL) ? f->num : NAN;
}

static bool str_matches(const struct report_record *r, const char *key, const char *want)
{
	const char *have;

	if (!want)
		return true;
	have = report_str(r, key);
	return have && strcmp(have, want) == 0;
}

static bool matches(const struct report_record *r, const struct report_query *q)
{
	const char *variant = q->variant;
	const char *bench = report_str(r, "bench");

	/* Readside rows without a variant asked for: the base variant. */
	if (!variant && bench && strcmp(bench, "readside") == 0)
		variant = "base";
	return str_matches(r, "bench", q->bench) && str_matches(r, "impl", q->impl) &&
	       str_matches(r, "variant", variant) && str_matches(r, "scenario", q->scenario) &&
	       str_matches(r, "metric", q->metric) &&
	       (!q->threads || report_num(r, "threads") == (double)q->threads) &&
	       (!q->registered || report_num(r, "registered") == (double)q->registered);
}

const struct report_record *report_find(const struct report_file *f, const struct report_query *q)
{
	for (size_t i = 0; i < f->n; i++)
		if (matches(&f->records[i], q))
			return &f->records[i];
	return NULL;
}

double report_get(const struct report_file *f, const struct report_query *q, const char *key)
{
	const struct report_record *r = report_find(f, q);

	return r ? report_num(r, key) : NAN;
}

size_t report_distinct(const struct report_file *f, const struct report_query *q, const char *key,
                       const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		const char *v = report_str(&f->records[i], key);
		bool seen = false;

		if (!v || !matches(&f->records[i], q))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(out[k], v) == 0;
		if (!seen && n < max)
			out[n++] = v;
	}
	return n;
}

size_t report_threads(const struct report_file *f, const struct report_query *q, unsigned int *out,
                      size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		double t = report_num(&f->records[i], "threads");
		size_t k = 0;

		if (isnan(t) || t < 0 || !matches(&f->records[i], q))
			continue;
		while (k < n && out[k] < (unsigned int)t)
			k++;
		if ((k < n && out[k] == (unsigned int)t) || n == max)
			continue;
		memmove(&out[k + 1], &out[k], (n - k) * sizeof(*out));
		out[k] = (unsigned int)t;
		n++;
	}
	return n;
}

unsigned int report_all_cpus_threads(const struct report_file *f, const struct report_query *q)
{
	struct report_query c = {.bench = "context"};
	double nproc = report_get(f, &c, "nproc");
	unsigned int threads[256], best = 1;
	size_t n = report_threads(f, q, threads, sizeof(threads) / sizeof(threads[0]));

	for (size_t k = 0; k < n; k++)
		if (isnan(nproc) || threads[k] <= nproc)
			best = threads[k];
	return best;
}
