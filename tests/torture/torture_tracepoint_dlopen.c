/* SPDX-License-Identifier: MIT */
/*
 * tests/torture/torture_tracepoint_dlopen.c - attach and detach by name
 * while objects come and go.
 *
 * Firing threads dlopen one of two shared objects whose myapp:req_end clash
 * in signature (tp_req_a.c: int id, long us; tp_req_b.c: const char *path),
 * fire their tracepoints, and dlclose them. Tracer threads register probes
 * by name (one per signature, and a faultable one that sleeps), keep them a
 * moment, unregister them by name, wait for
 * tps_tracepoint_synchronize_unregister() and poison their data, which
 * stays readable in a quarantine for a while. A probe that sees poison ran
 * after its teardown; a probe that sees arguments of the other signature
 * was attached to the wrong instance; a notifier checks every tracepoint
 * that was added is removed once. Any of these fails the run.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tpsync/tracepoint.h>

#define LIVE 0x11fe11feu
#define POISON 0xdeadbeefu
#define FIRERS 3
#define QUARANTINE 256
#define DEFAULT_SECONDS 4
#define PATH_ARG "/var/log/req"

struct pdata {
	_Atomic unsigned int magic;
	_Atomic long hits;
};

static atomic_bool stop;
static _Atomic long errors, poison_seen, wrong_args, fires, probe_runs, registrations, conflicts;
static _Atomic long added, removed;

static pthread_mutex_t quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pdata *quarantine[QUARANTINE];
static unsigned int quarantine_next;

static void retire(struct pdata *d)
{
	struct pdata *old;

	atomic_store(&d->magic, POISON);
	pthread_mutex_lock(&quarantine_lock);
	old = quarantine[quarantine_next];
	quarantine[quarantine_next] = d;
	quarantine_next = (quarantine_next + 1) % QUARANTINE;
	pthread_mutex_unlock(&quarantine_lock);
	free(old);
}

static void check(struct pdata *d)
{
	if (atomic_load(&d->magic) != LIVE)
		atomic_fetch_add(&poison_seen, 1);
	atomic_fetch_add(&d->hits, 1);
	atomic_fetch_add(&probe_runs, 1);
}

static void probe_a(void *data, int id, long us)
{
	check(data);
	if (us != 2L * id)
		atomic_fetch_add(&wrong_args, 1);
}

static void probe_b(void *data, const char *path)
{
	check(data);
	if (strcmp(path, PATH_ARG) != 0)
		atomic_fetch_add(&wrong_args, 1);
}

static void probe_load(void *data, int id)
{
	(void)id;
	check(data);
	usleep(50); /* a faultable probe may sleep */
}

static void on_event(void *data, struct tps_tracepoint *tp, int event)
{
	(void)data;
	if (strncmp(tps_tracepoint_name(tp), "myapp:", 6) != 0)
		return;
	if (event == TPS_TRACEPOINT_ADDED)
		atomic_fetch_add(&added, 1);
	else if (event == TPS_TRACEPOINT_REMOVED)
		atomic_fetch_add(&removed, 1);
	else
		atomic_fetch_add(&errors, 1);
}

static void *firer(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;

	while (!atomic_load(&stop)) {
		bool a = rand_r(&seed) & 1;
		void *lib = dlopen(a ? TP_REQ_A_PATH : TP_REQ_B_PATH, RTLD_NOW);
		void (*fire_a)(int);
		void (*fire_b)(const char *);

		if (!lib) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			atomic_fetch_add(&errors, 1);
			break;
		}
		*(void **)&fire_a = dlsym(lib, "req_a_fire");
		*(void **)&fire_b = dlsym(lib, "req_b_fire");
		for (int i = 0; i < 64; i++) {
			if (a)
				fire_a(i);
			else
				fire_b(PATH_ARG);
			atomic_fetch_add(&fires, 1);
		}
		dlclose(lib);
	}
	return NULL;
}

struct tracer {
	const char *name;
	const char *signature;
	void (*func)(void);
	unsigned int flags;
	unsigned int seed;
};

static void *tracer(void *arg)
{
	struct tracer *t = arg;

	while (!atomic_load(&stop)) {
		struct pdata *d = malloc(sizeof(*d));
		int err;

		if (!d)
			abort();
		atomic_init(&d->magic, LIVE);
		atomic_init(&d->hits, 0);
		err = tps_tracepoint_probe_register_by_name(t->name, t->signature, t->func, d, 10,
		                                            t->flags);
		if (err == -EINVAL) {
			/* Only instances of the other signature are loaded right now. */
			atomic_fetch_add(&conflicts, 1);
			free(d);
			usleep(100);
			continue;
		}
		if (err) {
			fprintf(stderr, "register_by_name %s: %d\n", t->name, err);
			atomic_fetch_add(&errors, 1);
			free(d);
			break;
		}
		atomic_fetch_add(&registrations, 1);
		usleep(rand_r(&t->seed) % 2000);
		if (tps_tracepoint_probe_unregister_by_name(t->name, t->func, d) != 0)
			atomic_fetch_add(&errors, 1);
		tps_tracepoint_synchronize_unregister();
		retire(d);
	}
	return NULL;
}

int main(void)
{
	const char *env = getenv("TPSYNC_TORTURE_SECONDS");
	unsigned int seconds = env && atoi(env) > 0 ? (unsigned int)atoi(env) : DEFAULT_SECONDS;
	struct tracer tracers[] = {
	        {"myapp:req_end", "int id, long us", (void (*)(void))probe_a, 0, 1},
	        {"myapp:req_end", "const char *path", (void (*)(void))probe_b, 0, 2},
	        {"myapp:req_load", "int id", (void (*)(void))probe_load, TPS_PROBE_MAY_FAULT, 3},
	};
	pthread_t fth[FIRERS], tth[3];
	bool ok;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("torture_tracepoint_dlopen: %u s, %d firers, 3 tracers\n", seconds, FIRERS);
	if (tps_tracepoint_notifier_register(on_event, NULL) != 0)
		return 1;
	for (long i = 0; i < FIRERS; i++)
		pthread_create(&fth[i], NULL, firer, (void *)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_create(&tth[i], NULL, tracer, &tracers[i]);
	sleep(seconds);
	atomic_store(&stop, true);
	for (int i = 0; i < FIRERS; i++)
		pthread_join(fth[i], NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(tth[i], NULL);
	tps_tracepoint_notifier_unregister(on_event, NULL);
	for (unsigned int i = 0; i < QUARANTINE; i++)
		free(quarantine[i]);
	printf("fires %ld, probe runs %ld, registrations %ld, conflicts %ld, added %ld, removed "
	       "%ld\n",
	       atomic_load(&fires), atomic_load(&probe_runs), atomic_load(&registrations),
	       atomic_load(&conflicts), atomic_load(&added), atomic_load(&removed));
	ok = !atomic_load(&errors) && !atomic_load(&poison_seen) && !atomic_load(&wrong_args) &&
	     atomic_load(&added) == atomic_load(&removed) && atomic_load(&added) > 0 &&
	     atomic_load(&probe_runs) > 0 && atomic_load(&registrations) > 0;
	printf("errors %ld, poison seen %ld, wrong arguments %ld: %s\n", atomic_load(&errors),
	       atomic_load(&poison_seen), atomic_load(&wrong_args), ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
