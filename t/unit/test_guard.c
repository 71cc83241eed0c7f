/* test_guard.c — the stolen-account guard over the local counters: each
 * signal (distinct client networks, messages, recipients, failed logins, a
 * tenant's messages), overrides, suspension reaching MAIL FROM and logins,
 * release and unsuspend, the held list, and counters that fail. */
#include <autoconfig.h>
#include "../tap.h"
#include "guard.h"

#include <stdlib.h>

static char *msgs[] = { "5/1h" };
static char *rcpts[] = { "20/1h" };
static char *news_msgs[] = { "1000/1h" };
static char *acme_msgs[] = { "7/1h" };

static void cfg_defaults(struct rg_config *cfg, struct rg_guard_override *ids,
			 struct rg_guard_override *tenants)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->guard.enabled = true;
	cfg->guard.action = RG_GUARD_ACTION_HOLD;
	cfg->guard.messages = msgs;
	cfg->guard.n_messages = 1;
	cfg->guard.recipients = rcpts;
	cfg->guard.n_recipients = 1;
	cfg->guard.addresses = 10;
	cfg->guard.addresses_window = 3600;
	cfg->guard.ipv4_prefix = 32;
	cfg->guard.ipv6_prefix = 64;
	cfg->guard.failed_logins = "3/1h";
	cfg->guard.suspend_after = 0;
	cfg->guard.suspend_window = 86400;
	cfg->guard.table_size = 10000;
	memset(ids, 0, sizeof(*ids));
	ids->name = "news";
	ids->messages = news_msgs;
	ids->n_messages = 1;
	ids->addresses = -1;
	cfg->guard.identities = ids;
	cfg->guard.n_identities = 1;
	memset(tenants, 0, sizeof(*tenants));
	tenants->name = "acme";
	tenants->messages = acme_msgs;
	tenants->n_messages = 1;
	tenants->addresses = -1;
	cfg->guard.tenants = tenants;
	cfg->guard.n_tenants = 1;
}

static enum rg_guard_answer mail(const struct rg_config *cfg, const char *id, const char *ip,
				  bool first, time_t now)
{
	struct rg_guard_msg m = { .identity = id, .client_addr = ip, .queue_id = "Q1" };
	return rg_guard_mail(cfg, &m, first, now, NULL);
}

static struct rg_guard_verdict msg(const struct rg_config *cfg, const char *id, const char *tenant,
				   unsigned rcpt, time_t now)
{
	struct rg_guard_msg m = { .identity = id, .tenant = tenant, .client_addr = "192.0.2.1",
				  .queue_id = "Q1", .n_rcpt = rcpt };
	struct rg_guard_verdict v;
	rg_guard_message(cfg, &m, now, &v);
	return v;
}

/* counters that always fail */
static int bad_add(struct rg_counters *c, const char *k, unsigned w, unsigned n, time_t now,
		   uint64_t *r, const char **e)
{ (void)c; (void)k; (void)w; (void)n; (void)now; *r = 0; *e = "injected"; return -1; }
static int bad_get(struct rg_counters *c, const char *k, unsigned w, time_t now, uint64_t *r,
		   const char **e)
{ (void)c; (void)k; (void)w; (void)now; *r = 0; *e = "injected"; return -1; }
static int bad_flag_get(struct rg_counters *c, const char *k, time_t now, bool *s, time_t *u,
			char *t, size_t n, const char **e)
{ (void)c; (void)k; (void)now; (void)u; (void)t; (void)n; *s = false; *e = "injected"; return -1; }
static const struct rg_counters_ops bad_ops = { .add = bad_add, .get = bad_get,
						.flag_get = bad_flag_get };
static struct rg_counters bad = { &bad_ops };

int main(void)
{
	struct rg_config cfg;
	struct rg_guard_override ids, tenants;
	struct rg_counters *c = rg_counters_local_new(10000, 100);
	time_t t = 720000;
	struct rg_guard_verdict v;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cfg_defaults(&cfg, &ids, &tenants);
	rg_guard_use(c);

	/* ---- messages ---- */
	for (int i = 1; i <= 5; i++) {
		v = msg(&cfg, "alice", NULL, 1, t);
		is_int(v.result, RG_GUARD_PASS, "alice's message %d of 5/1h passes", i);
	}
	v = msg(&cfg, "alice", NULL, 1, t);
	is_int(v.result, RG_GUARD_ACT, "the 6th message within the hour: acted on");
	is_str(v.signal, "messages", "  signal messages");
	ok(v.count == 6 && v.limit == 5 && v.window == 3600, "  count 6, limit 5, window 3600");
	is_int(v.action, RG_GUARD_ACTION_HOLD, "  the action is hold");
	is_str(v.reason, "relayguard guard: messages 6 > 5 in 3600s", "  the hold reason");
	v = msg(&cfg, "bob", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "another identity is counted apart");
	for (int i = 0; i < 20; i++)
		v = msg(&cfg, "news", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "an identity override (1000/1h): 20 messages pass");

	/* ---- recipients ---- */
	v = msg(&cfg, "carol", NULL, 20, t);
	is_int(v.result, RG_GUARD_PASS, "20 recipients at once: within 20/1h");
	v = msg(&cfg, "carol", NULL, 1, t);
	is_str(v.signal, "recipients", "the 21st recipient: acted on (recipients)");

	/* ---- distinct client networks ---- */
	char ip[32];
	for (int i = 1; i <= 10; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		is_int(mail(&cfg, "dave", ip, true, t), RG_GUARD_OK, "dave from %s", ip);
		mail(&cfg, "dave", ip, true, t);	/* seen again: not a new address */
	}
	v = msg(&cfg, "dave", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "10 addresses (each seen twice): within 10");
	mail(&cfg, "dave", "192.0.2.11", true, t);
	v = msg(&cfg, "dave", NULL, 1, t);
	is_str(v.signal, "addresses", "the 11th distinct address: acted on (addresses)");
	ok(v.count == 11 && v.limit == 10, "  count 11, limit 10");
	cfg.guard.ipv4_prefix = 24;
	for (int i = 1; i <= 30; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		mail(&cfg, "erin", ip, true, t);
	}
	v = msg(&cfg, "erin", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "ipv4_prefix = 24: 30 addresses of one /24 are one network");
	for (int i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:0:%d::7", i);
		mail(&cfg, "erin", ip, true, t);
		snprintf(ip, sizeof(ip), "2001:db8:0:%d::8", i);
		mail(&cfg, "erin", ip, true, t);
	}
	buf = NULL;
	f = open_memstream(&buf, &len);
	rg_guard_show(&cfg, "erin", t, f);
	fclose(f);
	ok(buf != NULL && strstr(buf, "addresses 4 limit 10 window 3600s"),
	   "ipv6_prefix = 64: ::7 and ::8 of one /64 are one network (1 + 3 networks)");
	free(buf);
	cfg.guard.ipv4_prefix = 32;

	/* ---- failed logins ---- */
	for (int i = 0; i < 3; i++)
		rg_guard_login_failed(&cfg, "frank", t);
	v = msg(&cfg, "frank", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "3 failed logins: within 3/1h");
	rg_guard_login_failed(&cfg, "frank", t);
	v = msg(&cfg, "frank", NULL, 1, t);
	is_str(v.signal, "failed_logins", "the 4th failed login: the next message is acted on");

	/* ---- a tenant's own limit, over its identities ---- */
	for (int i = 0; i < 7; i++) {
		char id[16];
		snprintf(id, sizeof(id), "t%d", i);
		v = msg(&cfg, id, "ACME", 1, t);
	}
	is_int(v.result, RG_GUARD_PASS, "7 acme messages from 7 identities: within acme's 7/1h");
	v = msg(&cfg, "t7", "acme", 1, t);
	is_str(v.signal, "tenant_messages", "the 8th: acted on (tenant_messages), tenant name caseless");

	/* ---- suspension after repeated actions ---- */
	cfg.guard.suspend_after = 3;
	cfg.guard.suspend_seconds = 600;
	cfg.guard.messages = msgs;
	for (int i = 0; i < 5; i++)
		msg(&cfg, "gina", NULL, 1, t);
	v = msg(&cfg, "gina", NULL, 1, t);
	ok(v.result == RG_GUARD_ACT && !v.suspended, "gina's first action: not suspended yet");
	msg(&cfg, "gina", NULL, 1, t);
	is_int(mail(&cfg, "gina", "192.0.2.1", false, t), RG_GUARD_OK,
	       "two actions: MAIL FROM still passes");
	v = msg(&cfg, "gina", NULL, 1, t);
	ok(v.suspended, "the third action suspends gina");
	is_int(mail(&cfg, "gina", "192.0.2.1", false, t), RG_GUARD_SUSPENDED,
	       "her next MAIL FROM: suspended");
	is_int(rg_guard_suspended(&cfg, "gina", t), RG_GUARD_SUSPENDED, "her logins: suspended");
	is_int(rg_guard_suspended(&cfg, "gina", t + 600), RG_GUARD_OK,
	       "after suspend_seconds: no longer suspended");
	v = msg(&cfg, "gina", NULL, 1, t);
	is_int(rg_guard_unsuspend(&cfg, "gina", stdout), 0, "unsuspend");
	is_int(rg_guard_suspended(&cfg, "gina", t), RG_GUARD_OK, "unsuspended at once");
	is_int(rg_guard_suspend(&cfg, "hal", t, stdout), 0, "suspend by hand");
	is_int(mail(&cfg, "hal", "192.0.2.1", true, t), RG_GUARD_SUSPENDED,
	       "a suspended identity's MAIL FROM");

	/* ---- release: the counters start again ---- */
	v = msg(&cfg, "alice", NULL, 1, t);
	is_int(v.result, RG_GUARD_ACT, "alice is still over her limit");
	is_int(rg_guard_release(&cfg, "alice", stdout), 0, "guard release alice");
	v = msg(&cfg, "alice", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "after release her next message passes");

	/* ---- the held list ---- */
	buf = NULL;
	f = open_memstream(&buf, &len);
	rg_guard_held(f);
	fclose(f);
	ok(buf != NULL && strstr(buf, " Q1 alice relayguard guard: messages 6 > 5 in 3600s"),
	   "guard held lists the queue id, identity and reason");
	free(buf);

	/* ---- no recipient or tenant limits: counted and decided at MAIL FROM ---- */
	cfg.guard.n_recipients = 0;
	cfg.guard.n_tenants = 0;
	cfg.guard.suspend_after = 0;
	cfg.guard.action = RG_GUARD_ACTION_HOLD;
	ok(rg_guard_counts_at_mail(&cfg), "no recipient or tenant limits: counted at MAIL FROM");
	struct rg_guard_msg em = { .identity = "kim", .client_addr = "192.0.2.9", .queue_id = "QK" };
	for (int i = 1; i <= 5; i++) {
		is_int(rg_guard_mail(&cfg, &em, i == 1, t, &v), RG_GUARD_OK, "kim's MAIL FROM %d", i);
		ok(v.counted && v.result == RG_GUARD_PASS, "  counted there, within 5/1h");
	}
	rg_guard_mail(&cfg, &em, false, t, &v);
	ok(v.counted && v.result == RG_GUARD_ACT && strcmp(v.signal, "messages") == 0,
	   "the 6th MAIL FROM: decided there (messages 6 > 5), nothing left for end of headers");
	cfg.guard.n_recipients = 1;
	ok(!rg_guard_counts_at_mail(&cfg), "a recipient limit: counted at end of headers");
	rg_guard_mail(&cfg, &em, false, t, &v);
	ok(!v.counted, "  so MAIL FROM only checks the suspension");

	/* ---- other actions; counters that fail ---- */
	cfg.guard.action = RG_GUARD_ACTION_REJECT;
	v = msg(&cfg, "carol", NULL, 1, t);
	is_int(v.action, RG_GUARD_ACTION_REJECT, "action = reject is passed on");
	rg_guard_use(&bad);
	v = msg(&cfg, "ivan", NULL, 1, t);
	is_int(v.result, RG_GUARD_STATE_FAILED, "counters fail: a temporary failure (state_error = tempfail)");
	is_int(mail(&cfg, "ivan", "192.0.2.1", true, t), RG_GUARD_ERROR,
	       "counters fail at MAIL FROM: an error, never OK");
	is_int(rg_guard_suspended(&cfg, "ivan", t), RG_GUARD_ERROR, "nor for logins");
	cfg.guard.state_error = RG_GUARD_STATE_ACCEPT;
	v = msg(&cfg, "ivan", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "state_error = accept: accepted (and logged)");
	cfg.guard.enabled = false;
	v = msg(&cfg, "ivan", NULL, 1, t);
	is_int(v.result, RG_GUARD_PASS, "guard off: nothing counted, nothing asked");
	rg_guard_use(NULL);
	rg_counters_free(c);
	return done_testing();
}
