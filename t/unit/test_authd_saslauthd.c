/* test_authd_saslauthd.c — saslauthd request parser: fields, limits, partial input. */
#include <autoconfig.h>
#include "../tap.h"
#include "proto_saslauthd.h"

static unsigned char B[4096];
static size_t BL;

static void reset(void) { BL = 0; }
static void field(const void *s, size_t n)
{
	B[BL++] = (unsigned char)(n >> 8);
	B[BL++] = (unsigned char)(n & 0xff);
	memcpy(B + BL, s, n);
	BL += n;
}
static void fstr(const char *s) { field(s, strlen(s)); }

int main(void)
{
	struct rg_sa_request r;
	const char *err = NULL;

	reset();
	fstr("daniel"); fstr("secret"); fstr("smtp"); fstr(""); fstr("192.0.2.7;587");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_DONE5, "five fields parsed");
	is_str(r.login, "daniel", "login");
	ok(r.password_len == 6 && memcmp(r.password, "secret", 6) == 0, "password");
	is_str(r.service, "smtp", "service");
	is_str(r.addr, "192.0.2.7", "address part of ip;port");
	is_str(r.req.authc, "daniel", "request authc");
	is_str(r.req.authz, "", "no authz");
	ok(!r.req.tls_known, "TLS state unknown on this protocol");
	is_str(r.req.protocol, "saslauthd", "protocol name");
	rg_sa_request_wipe(&r);
	ok(r.password[0] == 0 && r.password_len == 0, "wiped");

	/* every prefix short of the end asks for more */
	int more = 0;
	for (size_t n = 0; n < BL; n++)
		more += rg_sa_parse(B, n, &r, &err) == RG_SA_NEED_MORE ||
			(n == 2 + 6 + 2 + 6 + 2 + 4 + 2 && rg_sa_parse(B, n, &r, &err) == RG_SA_DONE4);
	is_int(more, (int)BL, "every prefix: NEED_MORE (or DONE4 right after the realm)");

	reset();
	fstr("daniel"); fstr("secret"); fstr("smtp"); fstr("example.org");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_DONE4, "four fields: complete, fifth optional");
	is_str(r.realm, "example.org", "realm");
	is_str(r.addr, "", "no address");
	B[BL++] = 0;
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_NEED_MORE, "start of a fifth field: wait");

	reset();
	fstr("daniel"); fstr("secret"); fstr("smtp"); fstr(""); fstr("2001:db8::1;25");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_DONE5, "IPv6 address");
	is_str(r.addr, "2001:db8::1", "IPv6 address part");
	B[BL++] = 'x';
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "bytes after the fifth field refused");

	reset();
	fstr("daniel"); fstr("secret"); fstr("smtp"); fstr(""); fstr("1.2.3.4 OR 1=1;25");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "garbage address refused");

	reset();
	fstr(""); fstr("secret"); fstr("smtp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "empty login refused");
	reset();
	fstr("dan\tiel"); fstr("secret"); fstr("smtp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "TAB in login refused");
	reset();
	field("dan\0iel", 7); fstr("secret"); fstr("smtp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "NUL in login refused");
	reset();
	fstr("daniel"); field("se\0cret", 7); fstr("smtp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "NUL in password refused");
	reset();
	fstr("daniel"); fstr("secret"); fstr("sm\ntp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "control byte in service refused");

	char big[2000];
	memset(big, 'a', sizeof(big));
	reset();
	field(big, 256);
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "256-byte login refused");
	ok(err != NULL && strstr(err, "login") != NULL, "error names the login: %s", err);
	reset();
	B[0] = 0xff; B[1] = 0xff; BL = 2;
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "65535-byte length refused at once");
	reset();
	fstr("daniel"); field(big, 1025);
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "1025-byte password refused");
	reset();
	fstr("daniel"); field(big, 1024); fstr("smtp"); fstr(""); fstr("");
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_DONE5, "1024-byte password accepted");
	reset();
	fstr("daniel"); fstr("pw"); field(big, 65);
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "65-byte service refused");
	reset();
	fstr("daniel"); fstr("pw"); fstr("smtp"); field(big, 256);
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "256-byte realm refused");
	reset();
	fstr("daniel"); fstr("pw"); fstr("smtp"); fstr(""); field(big, 81);
	is_int(rg_sa_parse(B, BL, &r, &err), RG_SA_ERROR, "81-byte address refused");

	unsigned char out[64];
	struct rg_auth_result res = { .status = RG_AUTH_OK };
	size_t n = rg_sa_format_result(out, sizeof(out), &res);
	ok(n > 4 && out[0] == 0 && out[1] == n - 2 && memcmp(out + 2, "OK", 2) == 0, "OK reply counted");
	res.status = RG_AUTH_FAIL;
	n = rg_sa_format_result(out, sizeof(out), &res);
	ok(n > 4 && out[1] == n - 2 && memcmp(out + 2, "NO", 2) == 0, "NO reply counted");
	res.status = RG_AUTH_TEMPFAIL;
	is_int(rg_sa_format_result(out, sizeof(out), &res), 0, "TEMPFAIL: no reply (close)");
	return done_testing();
}
