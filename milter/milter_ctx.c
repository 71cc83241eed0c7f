/* milter_ctx.c — per-connection and per-message state. */
#include <autoconfig.h>
#include "milter_ctx.h"

#include <stdlib.h>
#include <string.h>

static struct rg_config *fallback_cfg;

void rg_milter_conn_set_fallback_config(struct rg_config *cfg)
{
	fallback_cfg = cfg;
}

struct rg_milter_conn *rg_milter_conn_new(void)
{
	struct rg_milter_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->cfg = rg_config_current_get();
	if (c->cfg == NULL && fallback_cfg != NULL)
		c->cfg = rg_config_acquire(fallback_cfg);
	rg_tenant_msg_init(&c->msg.tenant);
	return c;
}

void rg_milter_msg_reset(struct rg_milter_msg *m)
{
	if (m->cfg != NULL)
		rg_config_release(m->cfg);
	free(m->queue_id);
	free(m->auth_type);
	free(m->auth_authen);
	free(m->auth_author);
	free(m->mail_from);
	rg_sender_msg_clear(&m->senders);
	rg_authres_msg_clear(&m->authres);
	rg_tenant_msg_clear(&m->tenant);
	memset(m, 0, sizeof(*m));
	rg_tenant_msg_init(&m->tenant);
}

void rg_milter_conn_new_session(struct rg_milter_conn *c)
{
	rg_milter_msg_reset(&c->msg);
	free(c->daemon_name);
	free(c->tls_version);
	free(c->cipher);
	free(c->cipher_bits);
	c->daemon_name = c->tls_version = c->cipher = c->cipher_bits = NULL;
	c->client_addr[0] = '\0';
	c->connect_macros_seen = false;
	c->warned_mail_macros = c->warned_connect_macros = false;
	c->messages = 0;
	c->guard_noted = false;
}

void rg_milter_conn_free(struct rg_milter_conn *c)
{
	if (c == NULL)
		return;
	rg_milter_conn_new_session(c);
	if (c->cfg != NULL)
		rg_config_release(c->cfg);
	free(c);
}

int rg_milter_copy_str(char **slot, const char *value, bool keep_old)
{
	char *copy;

	if (value == NULL) {
		if (!keep_old) {
			free(*slot);
			*slot = NULL;
		}
		return 0;
	}
	copy = strdup(value);
	if (copy == NULL)
		return -1;
	free(*slot);
	*slot = copy;
	return 0;
}

void rg_milter_conn_facts(const struct rg_milter_conn *c, struct rg_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->client_addr = c->client_addr;
	f->daemon_name = c->daemon_name;
	f->connect_macros_seen = c->connect_macros_seen;
	f->tls_version = c->tls_version;
	f->cipher = c->cipher;
	f->cipher_bits = c->cipher_bits;
	f->mail_macros_seen = c->msg.mail_macros_seen;
	f->login_authc = c->msg.login_known ? c->msg.login_authc : NULL;
	f->login_act_as_seen = c->msg.login_act_as_seen;
	f->auth_type = c->msg.auth_type;
	f->auth_authen = c->msg.auth_authen;
	f->auth_author = c->msg.auth_author;
	f->mail_from = c->msg.mail_from;
}
