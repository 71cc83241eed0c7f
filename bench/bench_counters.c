/*
 * bench_counters.c — the guard's local counters: memory per identity and
 * cost per event, for 1,000,000 identities with a typical guard config
 * (two message windows, a recipient window, one client network: 5 counters
 * each), beside a reference in the same run: the keyed SipHash the table
 * computes per event (its floor) and the bound the header states.
 *
 *   RATIO bench=counters identities=N counters=M rss_mb=R bytes_per_counter=B ns_per_event=E siphash_ns=S event/siphash=X
 */
#include <autoconfig.h>
#include "counters.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f != NULL && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f != NULL)
		fclose(f);
	return kb;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long ids = argc > 1 ? atol(argv[1]) : 1000000;
	size_t max = (size_t)ids * 5 + 1024;
	const char *err;
	char key[128];
	uint64_t v;
	time_t t = 1000000;

	if (sodium_init() < 0)
		return 1;
	long before = rss_kb();
	struct rg_counters *c = rg_counters_local_new(max, 1000);
	if (c == NULL)
		return 1;
	static const char *fmt[] = { "m|3600|user", "m|86400|user", "r|3600|user", "A|3600|user",
				     "a|192.0.2.0/32|3600|user" };
	static const unsigned win[] = { 3600, 86400, 3600, 3600, 3600 };
	double t0 = now_s();
	long events = 0;
	/* each identity sends two messages (a session's worth): its counters
	 * reach the protected segment, as an active identity's do */
	for (long i = 0; i < ids; i++)
		for (int round = 0; round < 2; round++)
			for (int k = 0; k < 5; k++) {
				snprintf(key, sizeof(key), "%s%ld@example.com", fmt[k], i);
				c->ops->add(c, key, win[k], 1, t, &v, &err);
				events++;
			}
	double secs = now_s() - t0;
	long after = rss_kb();
	size_t n = rg_counters_local_count(c);

	/* the reference: the keyed SipHash per event alone, same keys */
	unsigned char k16[crypto_shorthash_siphashx24_KEYBYTES], out[16];
	randombytes_buf(k16, sizeof(k16));
	unsigned sink = 0;
	t0 = now_s();
	for (long i = 0; i < ids; i++)
		for (int round = 0; round < 2; round++)
			for (int k = 0; k < 5; k++) {
				snprintf(key, sizeof(key), "%s%ld@example.com", fmt[k], i);
				crypto_shorthash_siphashx24(out, (unsigned char *)key, strlen(key), k16);
				sink += out[0];
			}
	double ref = now_s() - t0;
	double mb = (after - before) / 1024.0;
	printf("counters benchmark: %ld identities x 5 counters (2 message windows, 1 recipient window, "
	       "addresses, 1 network), 2 events each%s\n", ids, sink == 12345 ? " " : "");
	printf("  counters kept %zu (bound %zu); RSS grew %.1f MB = %.1f bytes per counter "
	       "(stated: 44 + 4 index), %.1f MB per 1M identities\n", n, max, mb,
	       n ? (after - before) * 1024.0 / n : 0, ids ? mb * 1e6 / ids : 0);
	printf("  %.0f ns per event (add: key text, SipHash, find, roll, count) vs %.0f ns for the "
	       "key text and SipHash alone\n", secs * 1e9 / events, ref * 1e9 / events);
	printf("RATIO bench=counters identities=%ld counters=%zu rss_mb=%.1f bytes_per_counter=%.1f "
	       "ns_per_event=%.0f siphash_ns=%.0f event/siphash=%.2f\n", ids, n, mb,
	       n ? (after - before) * 1024.0 / n : 0, secs * 1e9 / events, ref * 1e9 / events,
	       ref > 0 ? secs / ref : 0);
	rg_counters_free(c);
	return 0;
}
