/* stats.c — a small fixed table of named counters under one mutex. */
#include <autoconfig.h>
#include "stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RG_STATS_MAX 256
#define RG_STATS_NAME 96

struct stat_entry {
	char name[RG_STATS_NAME];
	int64_t value;
	int gauge;
};

static struct stat_entry table[RG_STATS_MAX];
static size_t n_entries;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

static struct stat_entry *find_or_add(const char *name)
{
	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	if (n_entries == RG_STATS_MAX || strlen(name) >= RG_STATS_NAME)
		return NULL;	/* table full: the counter is dropped, never the request */
	struct stat_entry *e = &table[n_entries++];
	strcpy(e->name, name);
	return e;
}

void rg_stats_add(const char *name, int64_t delta)
{
	pthread_mutex_lock(&stats_lock);
	struct stat_entry *e = find_or_add(name);
	if (e != NULL)
		e->value += delta;
	pthread_mutex_unlock(&stats_lock);
}

void rg_stats_set(const char *name, int64_t value)
{
	pthread_mutex_lock(&stats_lock);
	struct stat_entry *e = find_or_add(name);
	if (e != NULL) {
		e->value = value;
		e->gauge = 1;
	}
	pthread_mutex_unlock(&stats_lock);
}

void rg_stats_gauge_add(const char *name, int64_t delta)
{
	pthread_mutex_lock(&stats_lock);
	struct stat_entry *e = find_or_add(name);
	if (e != NULL) {
		e->value += delta;
		e->gauge = 1;
	}
	pthread_mutex_unlock(&stats_lock);
}

int64_t rg_stats_get(const char *name)
{
	int64_t v = 0;
	pthread_mutex_lock(&stats_lock);
	for (size_t i = 0; i < n_entries; i++)
		if (strcmp(table[i].name, name) == 0)
			v = table[i].value;
	pthread_mutex_unlock(&stats_lock);
	return v;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct stat_entry *)a)->name, ((const struct stat_entry *)b)->name);
}

static size_t snapshot(struct stat_entry *copy)
{
	pthread_mutex_lock(&stats_lock);
	size_t n = n_entries;
	memcpy(copy, table, n * sizeof(*copy));
	pthread_mutex_unlock(&stats_lock);
	qsort(copy, n, sizeof(*copy), cmp_entry);
	return n;
}

void rg_stats_print(FILE *out)
{
	static struct stat_entry copy[RG_STATS_MAX];
	size_t n = snapshot(copy);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s %lld\n", copy[i].name, (long long)copy[i].value);
}

void rg_stats_print_prometheus(FILE *out)
{
	static struct stat_entry copy[RG_STATS_MAX];
	size_t n = snapshot(copy);
	for (size_t i = 0; i < n; i++) {
		char name[RG_STATS_NAME];
		size_t j;
		for (j = 0; copy[i].name[j] != '\0'; j++) {
			char c = copy[i].name[j];
			name[j] = (c == '.' || c == '-') ? '_' : c;
		}
		name[j] = '\0';
		fprintf(out, "# TYPE relayguard_%s %s\nrelayguard_%s %lld\n", name,
			copy[i].gauge ? "gauge" : "counter", name, (long long)copy[i].value);
	}
}
