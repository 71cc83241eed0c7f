/*
 * test_authres.c — common/authres.c: which Authentication-Results fields
 * claim our authserv-id (they are removed), and the field relayguard adds.
 */
#include <autoconfig.h>
#include <string.h>

#include "authres.h"
#include "t/tap.h"

static bool claims(const char *v)
{
	return rg_authres_claims(v, strlen(v), "mx.example.org");
}

int main(void)
{
	ok(rg_authres_id_problem("mx.example.org") == NULL, "a host name is an authserv-id");
	ok(rg_authres_id_problem("") != NULL, "empty refused");
	ok(rg_authres_id_problem("mx example") != NULL, "a space refused");
	ok(rg_authres_id_problem("mx;x") != NULL, "';' refused");
	ok(rg_authres_id_problem("\"mx\"") != NULL, "quotes refused");

	ok(claims("mx.example.org; auth=pass smtp.auth=ceo"), "our id");
	ok(claims("MX.Example.ORG; spf=pass"), "our id in another case");
	ok(claims("  (forged)\r\n\tmx.example.org 1; none"), "after a comment, folding, with a version");
	ok(claims("\"mx.example.org\"; none"), "as a quoted-string");
	ok(claims("mx.example.org;"), "nothing after the ';'");
	ok(!claims("other.example.org; auth=pass"), "another id: kept");
	ok(!claims("mx.example.org.evil.example; auth=pass"), "our id as a prefix: kept");
	ok(!claims("evil-mx.example.org; auth=pass"), "our id as a suffix: kept");
	ok(!claims("; mx.example.org"), "no id at all: kept");
	ok(!claims(""), "empty value: kept");

	struct rg_authres_msg m;
	memset(&m, 0, sizeof(m));
	const char *id = "mx.example.org";
	rg_authres_header(id, &m, "Authentication-Results", "other.example; spf=pass", 23);
	rg_authres_header(id, &m, "Received", "from x", 6);
	rg_authres_header(id, &m, "authentication-RESULTS", "mx.example.org; auth=pass", 25);
	rg_authres_header(id, &m, "Authentication-Results", "elsewhere; dkim=pass", 20);
	rg_authres_header(id, &m, "AUTHENTICATION-RESULTS", "Mx.Example.Org; dkim=pass", 25);
	is_int(m.n_fields, 4, "four Authentication-Results fields, any name case");
	is_int(m.n_ours, 2, "two claim our id");
	ok(m.n_ours == 2 && m.ours[0] == 2 && m.ours[1] == 4, "their indexes among the fields: 2 and 4");
	rg_authres_msg_clear(&m);
	rg_authres_header("", &m, "Authentication-Results", "mx.example.org; x", 17);
	ok(m.n_fields == 0 && m.n_ours == 0, "authserv_id off: nothing recorded");

	char out[256];
	rg_authres_value(id, "alice", out, sizeof(out));
	is_str(out, "mx.example.org; auth=pass smtp.auth=alice", "a token identity bare");
	rg_authres_value(id, "alice@example.org", out, sizeof(out));
	is_str(out, "mx.example.org; auth=pass smtp.auth=alice@example.org", "local-part@domain bare");
	rg_authres_value(id, "we ird\"na;me", out, sizeof(out));
	is_str(out, "mx.example.org; auth=pass smtp.auth=\"we ird\\\"na;me\"", "anything else quoted");
	is_int(rg_authres_value(id, "alice", out, 20), 0, "too small a buffer: 0");
	return done_testing();
}
