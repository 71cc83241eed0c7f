/* test_stats.c — the Prometheus exposition (common/stats.c): dotted names mapped
 * to families with labels, fixed series at 0, label escaping, histograms
 * cumulative and consistent, names missing from the registry still shown. */
#include <autoconfig.h>
#include "../tap.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static char *expo(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	rg_stats_print_prometheus(f);
	fclose(f);
	return buf;
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

int main(void)
{
	char *t = expo();
	ok(has_line(t, "relayguard_logins_total{result=\"ok\",reason=\"ok\"} 0"),
	   "a fixed series is there from the start, at 0");
	ok(has_line(t, "# TYPE relayguard_logins_total counter"), "counter TYPE line");
	ok(strstr(t, "login_ok") == NULL, "no result in a metric name");
	free(t);

	rg_stats_inc("login.ok");
	rg_stats_inc("login.fail.bad_password");
	rg_stats_inc("login.fail.bad_password");
	rg_stats_inc("login.tempfail.store_error");
	rg_stats_inc("milter.verdict.reject.tenant_not_authorized");
	rg_stats_inc("milter.verdict.tempfail.internal_error");
	rg_stats_set("hashpool.queue_depth", 3);
	rg_stats_gauge_add("milter.connections_open", 2);
	rg_stats_inc("not.in.registry\"x");
	t = expo();
	ok(has_line(t, "relayguard_logins_total{result=\"ok\",reason=\"ok\"} 1"), "login.ok → result=ok");
	ok(has_line(t, "relayguard_logins_total{result=\"fail\",reason=\"bad_password\"} 2"),
	   "login.fail.<reason> → result=fail, reason label");
	ok(has_line(t, "relayguard_logins_total{result=\"tempfail\",reason=\"store_error\"} 1"),
	   "login.tempfail.<reason> → result=tempfail");
	ok(has_line(t, "relayguard_milter_verdicts_total{action=\"reject\",reason=\"tenant_not_authorized\"} 1"),
	   "milter.verdict.<action>.<reason> → two labels");
	ok(has_line(t, "relayguard_hashpool_queue_depth 3"), "a gauge set");
	ok(has_line(t, "relayguard_open_connections{listener=\"milter\"} 2"), "a gauge moved");
	ok(has_line(t, "relayguard_unregistered_events_total{name=\"not.in.registry\\\"x\"} 1"),
	   "a name missing from the registry still shows, escaped");
	/* one HELP/TYPE per family, however many entries feed it */
	const char *p = t;
	int n = 0;
	while ((p = strstr(p, "# TYPE relayguard_logins_total ")) != NULL) {
		n++;
		p++;
	}
	is_int(n, 1, "one TYPE line for relayguard_logins_total");
	free(t);

	rg_stats_observe(RG_HIST_LOGIN_CACHED, 50000);		/* 50 us */
	rg_stats_observe(RG_HIST_LOGIN_CACHED, 2000000);	/* 2 ms */
	rg_stats_observe(RG_HIST_LOGIN_CACHED, 9000000000ull);	/* 9 s: beyond the last bucket */
	is_int(rg_stats_observed(RG_HIST_LOGIN_CACHED), 3, "three observations");
	t = expo();
	ok(has_line(t, "relayguard_login_duration_seconds_bucket{cache=\"hit\",le=\"0.0001\"} 1"),
	   "50 us in the first bucket");
	ok(has_line(t, "relayguard_login_duration_seconds_bucket{cache=\"hit\",le=\"0.0025\"} 2"),
	   "buckets are cumulative (2 ms)");
	ok(has_line(t, "relayguard_login_duration_seconds_bucket{cache=\"hit\",le=\"5\"} 2"),
	   "9 s is in no finite bucket");
	ok(has_line(t, "relayguard_login_duration_seconds_bucket{cache=\"hit\",le=\"+Inf\"} 3"),
	   "+Inf holds every observation");
	ok(has_line(t, "relayguard_login_duration_seconds_count{cache=\"hit\"} 3"), "_count");
	ok(has_line(t, "relayguard_login_duration_seconds_sum{cache=\"hit\"} 9.002050000"), "_sum in seconds");
	ok(has_line(t, "relayguard_login_duration_seconds_count{cache=\"miss\"} 0"), "the other series at 0");
	free(t);
	return done_testing();
}
