/* SPDX-License-Identifier: MIT */
/*
 * examples/live_patch.c - patch running code the way the kernel's ftrace
 * does, with tps_sync_core() and tps_synchronize_rcu_tasks().
 *
 * A few functions are compiled with five bytes of NOPs at their entry
 * (patchable_function_entry, the per-function form of
 * -fpatchable-function-entry=5). While worker threads call them in a loop,
 * the main thread switches each entry between a NOP and a call into a
 * counting trampoline, and back, again and again:
 *
 *   nop  -> call A   install a trampoline
 *   call A -> call B retarget; then tps_synchronize_rcu_tasks(), then free A
 *   call B -> nop    remove; then tps_synchronize_rcu_tasks(), then free B
 *
 * Each change of the five-byte instruction follows x86-64's text_poke_bp
 * protocol, so that no thread ever runs a torn instruction: write int3 on
 * the first byte, tps_sync_core(), write the four other bytes,
 * tps_sync_core(), write the first byte, tps_sync_core(). A thread that
 * hits the int3 meanwhile takes SIGTRAP; the handler emulates the
 * instruction being installed (a call: push the return address, jump to the
 * trampoline; a NOP: skip it), as the kernel's int3 handler does.
 *
 * Trampolines live in pages of their own; freeing one makes its page
 * inaccessible, so a thread still running it would crash. Nothing marks a
 * thread as "inside a trampoline": a Tasks grace period ends only when every
 * thread has blocked (or reported a quiescent state) since, and trampolines
 * never block, so after it no thread can be inside the old one. The workers
 * block briefly (or call tps_rcu_tasks_qs()) between batches of calls.
 *
 * What is checked, per call: the function body ran exactly once, and the
 * trampoline counted the call at most once; a call made while the entry was
 * known to be patched (before and after the call) was counted, one made
 * while it was known to be plain was not. In total: calls made = bodies run,
 * and traced calls <= calls made.
 *
 * usage: live_patch [--seconds N] [--threads N]   (default 2 s, 4 threads)
 *        live_patch --stray-int3   (executes an int3 that is no patch site:
 *                                   the program must die of SIGTRAP)
 * Exit status: 0 pass, 1 failure, 77 when the machine cannot run it (not
 * x86-64, or the text cannot be made writable). When tps_sync_core() is
 * unavailable (-ENOSYS: an old kernel, or TPSYNC_FORCE_FALLBACK set) the
 * program refuses to patch, runs the workers on the unpatched code and
 * checks that nothing was traced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <tpsync/rcu_tasks.h>

#define NFUNCS 4
#define MAX_THREADS 16
/* Calls between two points where a worker blocks or reports a quiescent state. */
#define BATCH 64
/* Trampoline slots (one page each): enough for two per function. */
#define NSLOTS (2 * NFUNCS)
/* pause instructions a trampoline spins: threads are often inside one. */
#define TRAMP_SPIN 64

/* ---- The patchable functions. ---- */

/* Per-thread counters: bodies run, and calls the trampoline counted. */
static __thread unsigned long bodies_run;
static __thread volatile unsigned long traced_calls;

#define PATCHABLE __attribute__((noinline, used, patchable_function_entry(5, 0)))

PATCHABLE static int func0(int x)
{
	bodies_run++;
	return x + 1;
}

PATCHABLE static int func1(int x)
{
	bodies_run++;
	return x + 2;
}

PATCHABLE static int func2(int x)
{
	bodies_run++;
	return x + 3;
}

PATCHABLE static int func3(int x)
{
	bodies_run++;
	return x + 4;
}

/* Called through this table, so the compiler cannot inline or clone them. */
static int (*volatile funcs[NFUNCS])(int) = {func0, func1, func2, func3};

/* ---- Sites, their states and the int3 handler. ---- */

static const unsigned char nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

/*
 * Per function: the state workers read around each call, a generation
 * number times 4 plus one of: plain (NOP, all threads serialized since),
 * patched (a call, likewise), or changing.
 */
enum { SITE_PLAIN, SITE_PATCHED, SITE_CHANGING };

struct site {
	unsigned char *addr;   /* the five bytes */
	_Atomic uint64_t insn; /* what the int3 handler emulates (5 bytes) */
	_Atomic unsigned long state;
	int slot; /* trampoline installed, -1 for none */
};

static struct site sites[NFUNCS];
static atomic_ulong int3_emulated;

static uint64_t insn_word(const unsigned char b[5])
{
	uint64_t w = 0;

	memcpy(&w, b, 5);
	return w;
}

/*
 * SIGTRAP from an int3 we wrote: emulate the instruction being installed.
 * The interrupted thread is at a function's first instruction: nothing
 * lives below its stack pointer, so pushing a return address is safe.
 */
__attribute__((no_sanitize("address"))) static void on_sigtrap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t ip = (uintptr_t)g[REG_RIP] - 1;
	int k;

	(void)sig;
	(void)si;
	for (k = 0; k < NFUNCS; k++) {
		uint64_t w;
		unsigned char b[8];

		if (ip != (uintptr_t)sites[k].addr)
			continue;
		w = atomic_load_explicit(&sites[k].insn, memory_order_acquire);
		memcpy(b, &w, 8);
		if (b[0] == 0xe8) {
			int32_t rel;

			memcpy(&rel, b + 1, 4);
			g[REG_RSP] -= 8;
			*(uintptr_t *)g[REG_RSP] = ip + 5;
			g[REG_RIP] = (greg_t)(ip + 5 + (intptr_t)rel);
		} else {
			g[REG_RIP] = (greg_t)(ip + 5);
		}
		atomic_fetch_add_explicit(&int3_emulated, 1, memory_order_relaxed);
		return;
	}
	/*
	 * Not ours: die of it. (Returning would resume after the int3, in
	 * the middle of whatever it replaced.) SIGTRAP is blocked in this
	 * handler: it is delivered, with the default action, on return.
	 */
	signal(SIGTRAP, SIG_DFL);
	raise(SIGTRAP);
}

/* ---- Trampolines. ---- */

static unsigned char *tramp_area;
static long page_size;
static bool slot_used[NSLOTS];
static int32_t traced_tls_offset; /* &traced_calls - thread pointer */

static unsigned char *slot_addr(int slot)
{
	return tramp_area + (size_t)slot * (size_t)page_size;
}

/*
 * A trampoline: count the call in the caller's traced_calls (a %fs-relative
 * increment), spin a little, return into the function. Clobbers only r11
 * and the flags, which no function uses at its entry.
 */
static int tramp_alloc(void)
{
	unsigned char code[32];
	size_t n = 0;
	int slot;

	for (slot = 0; slot < NSLOTS && slot_used[slot]; slot++)
		;
	if (slot == NSLOTS)
		return -1;
	/* mov %fs:0,%r11 */
	memcpy(code + n, "\x64\x4c\x8b\x1c\x25\x00\x00\x00\x00", 9);
	n += 9;
	/* incq disp32(%r11) */
	memcpy(code + n, "\x49\xff\x83", 3);
	n += 3;
	memcpy(code + n, &traced_tls_offset, 4);
	n += 4;
	/* mov $TRAMP_SPIN,%r11d; 1: pause; dec %r11d; jnz 1b */
	memcpy(code + n, "\x41\xbb", 2);
	n += 2;
	code[n++] = TRAMP_SPIN;
	code[n++] = 0;
	code[n++] = 0;
	code[n++] = 0;
	memcpy(code + n, "\xf3\x90\x41\xff\xcb\x75\xf9", 7);
	n += 7;
	code[n++] = 0xc3; /* ret */
	if (mprotect(slot_addr(slot), (size_t)page_size, PROT_READ | PROT_WRITE))
		return -1;
	memcpy(slot_addr(slot), code, n);
	if (mprotect(slot_addr(slot), (size_t)page_size, PROT_READ | PROT_EXEC))
		return -1;
	slot_used[slot] = true;
	return slot;
}

/*
 * A call rel32 reaches 2 GiB either way: the trampolines go in a mapping
 * close to the patched code (the executable's text).
 */
static unsigned char *map_near(uintptr_t code, size_t len)
{
	const uintptr_t step = 16u << 20;
	uintptr_t base = code & ~(step - 1);
	int i;

	for (i = 1; i < 64; i++) {
		uintptr_t tries[2] = {base + (uintptr_t)i * step, base - (uintptr_t)i * step};
		int j;

		for (j = 0; j < 2; j++) {
			void *p = mmap((void *)tries[j], len, PROT_NONE,
			               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (p == MAP_FAILED)
				continue;
			if (p == (void *)tries[j])
				return p;
			munmap(p, len); /* an old kernel ignored MAP_FIXED_NOREPLACE */
		}
	}
	return NULL;
}

/* No thread may be inside: the page becomes inaccessible. */
static void tramp_free(int slot)
{
	mprotect(slot_addr(slot), (size_t)page_size, PROT_NONE);
	slot_used[slot] = false;
}

/* ---- text_poke_bp ---- */

static int make_text_writable(unsigned char *addr, bool writable)
{
	uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(page_size - 1);
	uintptr_t end =
	        ((uintptr_t)addr + 5 + (uintptr_t)page_size - 1) & ~(uintptr_t)(page_size - 1);
	int prot = PROT_READ | PROT_EXEC | (writable ? PROT_WRITE : 0);

	/* Other threads keep running this page: it stays executable throughout. */
	return mprotect((void *)start, end - start, prot) ? -errno : 0;
}

static void sync_core_or_die(void)
{
	int rc = tps_sync_core();

	if (rc) {
		fprintf(stderr, "live_patch: tps_sync_core() failed half-way: %s\n", strerror(-rc));
		abort();
	}
}

/*
 * Writes to the program's text: ThreadSanitizer keeps no shadow for it, so
 * these accesses must not be instrumented (nor go through its memcpy).
 */
#define TEXT_WRITER __attribute__((no_sanitize("thread"), noinline))

TEXT_WRITER static void text_write(volatile unsigned char *p, const unsigned char *b, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = b[i];
}

/* Replaces the five bytes at site k by insn, never exposing a torn instruction. */
static int text_poke_bp(int k, const unsigned char insn[5])
{
	static const unsigned char int3 = 0xcc;
	unsigned char *p = sites[k].addr;
	int rc;

	rc = make_text_writable(sites[k].addr, true);
	if (rc)
		return rc;
	/* What a thread that traps on the int3 below runs instead. */
	atomic_store_explicit(&sites[k].insn, insn_word(insn), memory_order_release);
	text_write(p, &int3, 1);
	sync_core_or_die();
	text_write(p + 1, insn + 1, 4);
	sync_core_or_die();
	text_write(p, insn, 1);
	sync_core_or_die();
	return make_text_writable(sites[k].addr, false);
}

static void call_insn(int k, int slot, unsigned char insn[5])
{
	intptr_t rel = (intptr_t)slot_addr(slot) - (intptr_t)(sites[k].addr + 5);
	int32_t rel32 = (int32_t)rel; /* map_near() keeps it in range */

	insn[0] = 0xe8;
	memcpy(insn + 1, &rel32, 4);
}

/* ---- Workers. ---- */

struct worker {
	pthread_t thread;
	unsigned int id;
	unsigned long made, traced, errors;
	/* Calls made while the entry was stably patched or plain (read by the patcher). */
	_Atomic unsigned long stable_patched, stable_plain;
};

static atomic_bool stop;
static atomic_ulong total_errors;

static void worker_error(struct worker *w, const char *what, int k, unsigned long i)
{
	w->errors++;
	if (atomic_fetch_add(&total_errors, 1) < 10) {
		fprintf(stderr, "live_patch: worker %u, call %lu of func%d: %s\n", w->id, i, k,
		        what);
		fflush(stderr);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long i = 0, seed = w->id * 2654435761u + 1;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct timespec ts = {0, 0};
		int b;

		for (b = 0; b < BATCH; b++, i++) {
			int k = (int)(i % NFUNCS);
			unsigned long s0, s1, t0, t1, r0 = bodies_run;
			int ret;

			s0 = atomic_load_explicit(&sites[k].state, memory_order_acquire);
			t0 = traced_calls;
			ret = funcs[k]((int)(i & 0xffff));
			t1 = traced_calls;
			s1 = atomic_load_explicit(&sites[k].state, memory_order_acquire);
			w->made++;
			if (ret != (int)(i & 0xffff) + k + 1)
				worker_error(w, "wrong return value", k, i);
			if (bodies_run != r0 + 1)
				worker_error(w, "the body did not run exactly once", k, i);
			if (t1 - t0 > 1)
				worker_error(w, "counted more than once", k, i);
			if (s0 == s1 && (s0 & 3) == SITE_PATCHED) {
				atomic_store_explicit(&w->stable_patched, w->stable_patched + 1,
				                      memory_order_relaxed);
				if (t1 == t0)
					worker_error(w, "not counted while patched", k, i);
			} else if (s0 == s1 && (s0 & 3) == SITE_PLAIN) {
				atomic_store_explicit(&w->stable_plain, w->stable_plain + 1,
				                      memory_order_relaxed);
				if (t1 != t0)
					worker_error(w, "counted while not patched", k, i);
			}
		}
		/* Between batches: block briefly, or report a quiescent state. */
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		if ((seed >> 33) % 4 == 0) {
			tps_rcu_tasks_qs();
		} else {
			ts.tv_nsec = 1000 + (long)((seed >> 40) % 20000);
			nanosleep(&ts, NULL);
		}
	}
	w->traced = traced_calls;
	if (bodies_run != w->made)
		worker_error(w, "bodies run differ from calls made", -1, i);
	return NULL;
}

/* ---- The patcher. ---- */

static struct worker workers[MAX_THREADS];
static unsigned int nworkers;

static unsigned long stable_calls(bool patched)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < nworkers; i++)
		n += atomic_load_explicit(patched ? &workers[i].stable_patched
		                                  : &workers[i].stable_plain,
		                          memory_order_relaxed);
	return n;
}

/*
 * Leaves the entry in its new state until the workers made calls in it (at
 * most a second: a loaded machine may not run them at once), so that every
 * state is exercised.
 */
static void let_workers_call(bool patched)
{
	struct timespec ts = {0, 1000000};
	unsigned long before = stable_calls(patched);
	int i;

	for (i = 0; i < 1000 && stable_calls(patched) == before; i++)
		nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
}

static void set_state(int k, unsigned long gen, int what)
{
	/* seq_cst: ordered before the text writes that follow (and after those before). */
	atomic_store(&sites[k].state, gen * 4 + (unsigned long)what);
}

static int patch_cycle(int k, unsigned long *gen)
{
	unsigned char insn[5];
	int a, b, rc;

	/* nop -> call A */
	a = tramp_alloc();
	if (a < 0)
		return -ENOMEM;
	set_state(k, ++*gen, SITE_CHANGING);
	call_insn(k, a, insn);
	if ((rc = text_poke_bp(k, insn)))
		return rc;
	sites[k].slot = a;
	set_state(k, ++*gen, SITE_PATCHED);
	let_workers_call(true);

	/* call A -> call B, a grace period, then A may go. */
	b = tramp_alloc();
	if (b < 0)
		return -ENOMEM;
	set_state(k, ++*gen, SITE_CHANGING);
	call_insn(k, b, insn);
	if ((rc = text_poke_bp(k, insn)))
		return rc;
	sites[k].slot = b;
	set_state(k, ++*gen, SITE_PATCHED);
	tps_synchronize_rcu_tasks();
	tramp_free(a);
	let_workers_call(true);

	/* call B -> nop, a grace period, then B may go. */
	set_state(k, ++*gen, SITE_CHANGING);
	if ((rc = text_poke_bp(k, nop5)))
		return rc;
	sites[k].slot = -1;
	set_state(k, ++*gen, SITE_PLAIN);
	tps_synchronize_rcu_tasks();
	tramp_free(b);
	let_workers_call(false);
	return 0;
}

/* Finds the five NOPs (after an endbr64, if any) and makes them one NOP. */
static int prepare_site(int k)
{
	unsigned char *p = (unsigned char *)(uintptr_t)funcs[k];
	static const unsigned char endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	static const unsigned char nop1x5[5] = {0x90, 0x90, 0x90, 0x90, 0x90};
	int rc;

	if (memcmp(p, endbr64, 4) == 0)
		p += 4;
	sites[k].addr = p;
	sites[k].slot = -1;
	atomic_store(&sites[k].insn, insn_word(nop5));
	if (memcmp(p, nop1x5, 5) != 0 && memcmp(p, nop5, 4) != 0)
		return -EILSEQ;
	/*
	 * Five one-byte NOPs could be replaced under a thread stopped between
	 * two of them: make them a single five-byte NOP while no other thread
	 * exists yet.
	 */
	rc = make_text_writable(p, true);
	if (rc)
		return rc;
	text_write(p, nop5, 5);
	return make_text_writable(p, false);
}

static unsigned int arg_value(int argc, char **argv, const char *name, unsigned int def)
{
	int i;

	for (i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return (unsigned int)strtoul(argv[i + 1], NULL, 10);
	}
	return def;
}

int main(int argc, char **argv)
{
	unsigned int seconds = arg_value(argc, argv, "--seconds", 2);
	unsigned int nthreads = arg_value(argc, argv, "--threads", 4);
	unsigned long made = 0, traced = 0, stable_patched = 0, stable_plain = 0, cycles = 0;
	unsigned long gen = 0;
	struct sigaction sa;
	struct timespec t0, t;
	uintptr_t tp;
	bool patching;
	unsigned int i;
	int k, rc;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (nthreads < 1 || nthreads > MAX_THREADS || seconds < 1) {
		fprintf(stderr, "usage: live_patch [--seconds N] [--threads 1..%d]\n", MAX_THREADS);
		return 1;
	}
	page_size = sysconf(_SC_PAGESIZE);
	for (k = 0; k < NFUNCS; k++) {
		rc = prepare_site(k);
		if (rc == -EILSEQ) {
			printf("live_patch: SKIP: func%d does not start with five NOPs\n", k);
			return 77;
		}
		if (rc) {
			printf("live_patch: SKIP: cannot make the text writable: %s\n",
			       strerror(-rc));
			return 77;
		}
	}
	tramp_area = map_near((uintptr_t)sites[0].addr, (size_t)page_size * NSLOTS);
	if (!tramp_area) {
		printf("live_patch: SKIP: no room for trampolines within 2 GiB of the code\n");
		return 77;
	}
	/* Trampolines must not fault in the kernel (that would block): lock them. */
	mlock(tramp_area, (size_t)page_size * NSLOTS);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	traced_tls_offset = (int32_t)((intptr_t)&traced_calls - (intptr_t)tp);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigtrap;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, NULL);
	if (argc > 1 && strcmp(argv[1], "--stray-int3") == 0) {
		/* A breakpoint that is not a patch site must kill the program. */
		__asm__ volatile("int3");
		printf("live_patch: a stray int3 was ignored\n");
		return 0;
	}

	rc = tps_sync_core();
	patching = rc == 0;
	if (!patching)
		printf("live_patch: tps_sync_core() returned %s: refusing to patch running code; "
		       "the workers run the plain functions\n",
		       strerror(-rc));

	nworkers = nthreads;
	for (i = 0; i < nthreads; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
			perror("live_patch: pthread_create");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >=
		            (long)seconds * 1000000000L ||
		    atomic_load(&total_errors))
			break;
		if (!patching) {
			struct timespec ts = {0, 10000000};

			nanosleep(&ts, NULL);
			continue;
		}
		for (k = 0; k < NFUNCS; k++) {
			rc = patch_cycle(k, &gen);
			if (rc) {
				fprintf(stderr, "live_patch: patching func%d failed: %s\n", k,
				        strerror(-rc));
				atomic_fetch_add(&total_errors, 1);
				break;
			}
		}
		cycles++;
	}
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++) {
		pthread_join(workers[i].thread, NULL);
		made += workers[i].made;
		traced += workers[i].traced;
		stable_patched += workers[i].stable_patched;
		stable_plain += workers[i].stable_plain;
	}
	printf("live_patch: %u threads, %lu patch cycles over %d functions, %lu calls "
	       "(%lu traced), %lu while patched, %lu while plain, %lu int3 emulations\n",
	       nthreads, cycles, NFUNCS, made, traced, stable_patched, stable_plain,
	       atomic_load(&int3_emulated));
	if (traced > made) {
		fprintf(stderr, "live_patch: more traced calls (%lu) than calls (%lu)\n", traced,
		        made);
		atomic_fetch_add(&total_errors, 1);
	}
	if (!patching && traced) {
		fprintf(stderr, "live_patch: calls traced although nothing was patched\n");
		atomic_fetch_add(&total_errors, 1);
	}
	if (patching && (!cycles || !stable_patched || !stable_plain)) {
		fprintf(stderr, "live_patch: a weak run: no call in a patched or a plain state\n");
		atomic_fetch_add(&total_errors, 1);
	}
	if (atomic_load(&total_errors)) {
		fprintf(stderr, "live_patch: FAIL: %lu errors\n", atomic_load(&total_errors));
		return 1;
	}
	printf("live_patch: PASS\n");
	return 0;
}

#else /* not x86-64 Linux */

int main(void)
{
	printf("live_patch: SKIP: the patching protocol here is x86-64's (text_poke_bp)\n");
	return 77;
}

#endif
