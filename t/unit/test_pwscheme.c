/*
 * test_pwscheme.c — password schemes against known answers made by independent
 * tools (t/vectors/hashes.txt, see t/vectors/make-vectors.sh), malformed and
 * refused hashes, generation round trips and concurrent verification.
 */
#include <autoconfig.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <sodium.h>

#include "pwscheme.h"
#include "t/tap.h"

#define MAXV 128

struct vector {
	char *scheme, *password, *hash;
};

static struct vector vec[MAXV];
static int nvec;

static int load_vectors(void)
{
	const char *top = getenv("top_srcdir");
	char path[4096], line[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/t/vectors/hashes.txt", top != NULL ? top : ".");
	if ((f = fopen(path, "r")) == NULL) {
		diag("cannot open %s", path);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL && nvec < MAXV) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *save = NULL;
		char *s = strtok_r(line, "\t", &save);
		char *p = strtok_r(NULL, "\t", &save);
		char *h = strtok_r(NULL, "\t", &save);
		if (s == NULL || p == NULL || h == NULL) {
			diag("bad vector line: %s", line);
			fclose(f);
			return -1;
		}
		vec[nvec].scheme = strdup(s);
		vec[nvec].password = strdup(p);
		vec[nvec].hash = strdup(h);
		nvec++;
	}
	fclose(f);
	return 0;
}

static bool weak_scheme(const char *s)
{
	return strcmp(s, "PLAIN") == 0 || strcmp(s, "MD5-CRYPT") == 0 || strcmp(s, "DES-CRYPT") == 0;
}

static enum rg_pw_result verify(const char *hash, const char *pw, const struct rg_pw_params *p)
{
	const char *err = NULL;
	return rg_pwscheme_verify(hash, pw, strlen(pw), p, &err);
}

static const struct vector *find(const char *scheme, const char *prefix)
{
	for (int i = 0; i < nvec; i++)
		if (strcmp(vec[i].scheme, scheme) == 0 &&
		    strncmp(vec[i].hash, prefix, strlen(prefix)) == 0)
			return &vec[i];
	return NULL;
}

static void test_vectors(void)
{
	struct rg_pw_params def, weak;
	int counts[4] = { 0 };

	rg_pw_params_default(&def);
	weak = def;
	weak.allow_plaintext = true;

	for (int i = 0; i < nvec; i++) {
		const struct vector *v = &vec[i];
		bool w = weak_scheme(v->scheme);
		const struct rg_pw_params *p = w ? &weak : &def;
		const char *err = NULL;
		char longer[512];

		is_str(rg_pwscheme_name(v->hash), v->scheme, "%s: name of %.40s", v->scheme, v->hash);
		is_int(rg_pwscheme_is_weak(v->hash), w, "%s: weak flag", v->scheme);
		if (w) {
			is_int(rg_pwscheme_check(v->hash, &def, &err), -1,
			       "%s: refused without allow_plaintext (%s)", v->scheme, err ? err : "");
			is_int(verify(v->hash, v->password, &def), RG_PW_ERROR,
			       "%s: right password is an error without allow_plaintext", v->scheme);
		}
		err = NULL;
		is_int(rg_pwscheme_check(v->hash, p, &err), 0, "%s: check accepts %.50s%s%s", v->scheme,
		       v->hash, err ? ": " : "", err ? err : "");
		is_int(verify(v->hash, v->password, p), RG_PW_MATCH, "%s: '%s' verifies",
		       v->scheme, v->password);
		is_int(verify(v->hash, "wrong password", p), RG_PW_MISMATCH, "%s: wrong password fails",
		       v->scheme);
		snprintf(longer, sizeof longer, "%sx", v->password);
		is_int(verify(v->hash, longer, p), RG_PW_MISMATCH, "%s: password+1 char fails", v->scheme);
		is_int(verify(v->hash, "", p), RG_PW_MISMATCH, "%s: empty password fails", v->scheme);
		snprintf(longer, sizeof longer, "%.*s", (int)strlen(v->password) - 1, v->password);
		is_int(verify(v->hash, longer, p), RG_PW_MISMATCH, "%s: password-1 char fails", v->scheme);

		/* A truncated or altered hash never matches the right password. */
		char *bad = strdup(v->hash);
		size_t n = strlen(bad);
		size_t m = n;
		while (m > 1 && bad[m - 1] == '=')	/* padding alone carries nothing */
			m--;
		bad[m - 1] = '\0';
		ok(verify(bad, v->password, p) != RG_PW_MATCH, "%s: truncated hash never matches", v->scheme);
		bad[n / 2] = '\0';
		ok(verify(bad, v->password, p) != RG_PW_MATCH, "%s: half hash never matches", v->scheme);
		strcpy(bad, v->hash);
		bad[n - 2] = (bad[n - 2] == 'A' || bad[n - 2] == 'a') ? 'B' : 'A';	/* hex is case-blind */
		ok(verify(bad, v->password, p) != RG_PW_MATCH, "%s: altered hash never matches", v->scheme);
		free(bad);

		if (strncmp(v->hash, "$argon2", 7) == 0)
			counts[0]++;
		else if (v->hash[0] == '$')
			counts[1]++;
		else if (v->hash[0] == '{')
			counts[2]++;
		else
			counts[3]++;
	}
	diag("%d vectors: %d argon2, %d other $id$, %d {SCHEME}, %d bare", nvec, counts[0], counts[1],
	     counts[2], counts[3]);
}

/* Dovecot's {SCHEME} prefixes, case-insensitive, in front of our own forms. */
static void test_aliases(void)
{
	struct rg_pw_params def;
	char buf[512];
	static const struct { const char *scheme, *dollar, *alias; } a[] = {
		{ "ARGON2ID", "$argon2id$", "{ARGON2ID}" }, { "ARGON2I", "$argon2i$", "{argon2i}" },
		{ "SHA512-CRYPT", "$6$", "{CRYPT}" }, { "SHA512-CRYPT", "$6$", "{sha512-crypt}" },
		{ "SHA256-CRYPT", "$5$", "{CRYPT}" }, { "SHA256-CRYPT", "$5$", "{Sha256-Crypt}" },
		{ "BLF-CRYPT", "$2b$", "{CRYPT}" }, { "BLF-CRYPT", "$2a$", "{BLF-CRYPT}" },
		{ "YESCRYPT", "$y$", "{crypt}" }, { "SCRYPT", "$7$", "{CRYPT}" },
		{ "SCRYPT", "$7$", "{SCRYPT}" },
	};

	rg_pw_params_default(&def);
	for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
		const struct vector *v = find(a[i].scheme, a[i].dollar);
		if (v == NULL) {
			ok(0, "no %s vector starting %s", a[i].scheme, a[i].dollar);
			continue;
		}
		snprintf(buf, sizeof buf, "%s%s", a[i].alias, v->hash);
		is_str(rg_pwscheme_name(buf), a[i].scheme, "%.30s... is %s", buf, a[i].scheme);
		is_int(verify(buf, v->password, &def), RG_PW_MATCH, "%.30s... verifies", buf);
		is_int(verify(buf, "nope", &def), RG_PW_MISMATCH, "%.30s... wrong fails", buf);
	}
	/* lower-case Dovecot prefixes of doveadm's own output */
	const struct vector *v = find("SSHA512", "{SSHA512}");
	if (v != NULL) {
		snprintf(buf, sizeof buf, "{ssha512}%s", v->hash + 9);
		is_int(verify(buf, v->password, &def), RG_PW_MATCH, "{ssha512} lower case verifies");
	}
	/* an alias must name the form that follows it */
	v = find("SHA512-CRYPT", "$6$");
	snprintf(buf, sizeof buf, "{SHA256-CRYPT}%s", v ? v->hash : "");
	is_int(rg_pwscheme_check(buf, &def, NULL), -1, "{SHA256-CRYPT}$6$... refused");
	is_int(verify(buf, v ? v->password : "", &def), RG_PW_ERROR, "{SHA256-CRYPT}$6$... is an error");
	v = find("ARGON2I", "$argon2i$");
	snprintf(buf, sizeof buf, "{ARGON2ID}%s", v ? v->hash : "");
	is_int(rg_pwscheme_check(buf, &def, NULL), -1, "{ARGON2ID}$argon2i$... refused");
}

struct bad {
	const char *hash, *why, *error_part;
};

static void test_malformed(void)
{
	struct rg_pw_params def;
	rg_pw_params_default(&def);
	static const struct bad bad[] = {
		{ "", "empty string", "empty" },
		{ "secret", "no prefix (bare plaintext)", "no scheme prefix" },
		{ "{PLAIN}secret", "{PLAIN} without allow_plaintext", "allow_plaintext" },
		{ "{CLEARTEXT}secret", "{CLEARTEXT} without allow_plaintext", "allow_plaintext" },
		{ "{MD5}Xr4ilOzQ4PCOq3aQ0qbuaQ==", "{MD5}", "unknown password scheme prefix '{MD5}'" },
		{ "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "{SHA}", "'{SHA}'" },
		{ "{FOO}bar", "made-up prefix", "unknown password scheme prefix" },
		{ "{SSHA256", "unterminated brace", "unknown password scheme prefix" },
		{ "$9$abc$def", "unknown $id$", "unknown password scheme prefix" },
		{ "$1$B0qeut5f$XptsBfV5JG3AglmL1XHEk0", "md5crypt", "MD5-crypt" },
		{ "{CRYPT}$1$B0qeut5f$XptsBfV5JG3AglmL1XHEk0", "{CRYPT} md5crypt", "MD5-crypt" },
		{ "{CRYPT}FUYEo1M8gXmA6", "{CRYPT} DES", "DES" },
		{ "{CRYPT}not a crypt hash at all", "{CRYPT} junk", "crypt(3)" },
		{ "$2x$10$uarBi8CeY8G/eWTlV5m7A.0LSxz7irO4ZDDLwVyfVpxlwn24z7I8K", "$2x$", "'$2x$'" },
		{ "$2b$10$uarBi8CeY8G/eWTlV5m7A.0LSxz7irO4ZDDLwVyfVp", "truncated bcrypt", "bcrypt" },
		{ "$2b$99$uarBi8CeY8G/eWTlV5m7A.0LSxz7irO4ZDDLwVyfVpxlwn24z7I8K", "bcrypt cost 99", "cost" },
		{ "$6$gt3AFVldCm8FZ7rH$ScAHRoi.MXMCujLJhhKTPksW", "truncated sha512crypt", "sha512crypt" },
		{ "$6$rounds=10$abc$ScAHRoi.MXMCujLJhhKTPksWUu2v.L8hSL.uRuCK5PqQmaOzg/sVAgez05SCaU4/Qq/abi5qx3mBf0LIKYij9/",
		  "sha512crypt rounds=10", "rounds" },
		{ "$5$n0SQtjZAw8kSBMYv$UxflEEPEJ881XlS4NRUi9neR4Ldu5eN85sqPC2cYgj", "short sha256crypt", "sha256crypt" },
		{ "$y$j9T$KnsBVltiwLBPmZGYBySxL.$TpzLT8", "truncated yescrypt", "yescrypt" },
		{ "$7$CU..../....zHS6RNJZ3Jd/DXln9DeeU1", "scrypt without hash", "scrypt" },
		{ "$argon2id$v=19$m=19456,t=2,p=1$MTMyZjZmZjRmMDM1Y2U3Zg", "argon2id without hash", "argon2id" },
		{ "$argon2id$v=19$m=19456,t=2,p=1$MTMy!!!mZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2id bad base64 salt", "salt" },
		{ "$argon2id$v=19$m=19456,t=2,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5P%TxwmekFR1o",
		  "argon2id bad base64 hash", "hash" },
		{ "$argon2id$v=16$m=19456,t=2,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2id v=16", "v=16" },
		{ "$argon2id$m=19456,t=2,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2id without v=", "v=16" },
		{ "$argon2id$v=19$m=19456,t=0,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2id t=0", "out of range" },
		{ "$argon2id$v=19$m=19456,t=2$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2id without p=", "malformed argon2id" },
		{ "$argon2d$v=19$m=19456,t=2,p=1$MTMyZjZmZjRmMDM1Y2U3Zg$Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o",
		  "argon2d", "unknown password scheme prefix" },
		{ "{SSHA256}!!!!", "{SSHA256} bad base64", "SSHA256" },
		{ "{SSHA256}pQbfeQW5pOJjGExkmLfH92pLiBZGl/E4FDJJqzBmsQI=", "{SSHA256} without salt", "SSHA256" },
		{ "{SSHA512}", "{SSHA512} empty", "SSHA512" },
		{ "{PBKDF2}$1$w8Fz/0DLHvInB2HV$0$7ac868bda7d9fcb61078072d2c855a4cd7b380a1", "{PBKDF2} rounds 0", "PBKDF2" },
		{ "{PBKDF2}$1$w8Fz/0DLHvInB2HV$5000$7ac868bda7d9fcb61078072d2c855a4cd7b380", "{PBKDF2} short hex", "PBKDF2" },
		{ "{PBKDF2}$1$w8Fz/0DLHvInB2HV$5000$7ac868bda7d9fcb61078072d2c855a4cd7b380zz", "{PBKDF2} not hex", "PBKDF2" },
		{ "{PBKDF2}w8Fz/0DLHvInB2HV$5000$7ac868bda7d9fcb61078072d2c855a4cd7b380a1", "{PBKDF2} without $1$", "PBKDF2" },
		{ "$pbkdf2-sha256$29000$tLaW0nrvHSOEMIYw5vzf.w$TilqHFUcJtw5DkSqRPjHWW9NqLkjEx", "short pbkdf2-sha256", "PBKDF2-SHA256" },
		{ "$pbkdf2-sha256$x$tLaW0nrvHSOEMIYw5vzf.w$TilqHFUcJtw5DkSqRPjHWW9NqLkjEx/JrHPCw9c0cps", "pbkdf2 rounds x", "PBKDF2-SHA256" },
		{ "$pbkdf2-sha512$25000$TiklBCAEQMhZyxmjdE6JkQ$TilqHFUcJtw5DkSqRPjHWW9NqLkjEx/JrHPCw9c0cps", "pbkdf2-sha512 with 32-byte hash", "PBKDF2-SHA512" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *err = NULL;
		int r = rg_pwscheme_check(bad[i].hash, &def, &err);
		is_int(r, -1, "check refuses %s", bad[i].why);
		ok(err != NULL && strstr(err, bad[i].error_part) != NULL, "  error names the problem: %s",
		   err ? err : "(null)");
		/* never a match, whatever the password */
		static const char *const pws[] = { "secret", "", "desonly", "weak md5", "bar" };
		bool all_error = true;
		for (size_t j = 0; j < sizeof pws / sizeof pws[0]; j++) {
			err = NULL;
			enum rg_pw_result v = rg_pwscheme_verify(bad[i].hash, pws[j], strlen(pws[j]), &def, &err);
			if (v != RG_PW_ERROR || err == NULL)
				all_error = false;
		}
		ok(all_error, "  verify of %s is RG_PW_ERROR with an error text", bad[i].why);
	}
	const char *err = NULL;
	is_int(rg_pwscheme_check(NULL, &def, &err), -1, "check refuses NULL");
	is_int(rg_pwscheme_verify(NULL, "x", 1, &def, &err), RG_PW_ERROR, "verify of NULL is an error");
	ok(rg_pwscheme_name("{FOO}bar") == NULL, "no name for an unknown scheme");
	ok(!rg_pwscheme_is_weak("{FOO}bar"), "unknown scheme is not 'weak' (it is refused)");
	ok(rg_pwscheme_is_weak("{PLAIN}x"), "{PLAIN} is weak");
	ok(rg_pwscheme_check("{PLAIN}", NULL, &err) == -1, "empty {PLAIN} refused even with NULL params");
}

static void test_nul_in_password(void)
{
	struct rg_pw_params def;
	rg_pw_params_default(&def);
	/* crypt(3) stops at NUL: "secret\0junk" must not pass as "secret" */
	static const char *const schemes[] = { "SHA512-CRYPT", "YESCRYPT", "BLF-CRYPT", "ARGON2ID", "SSHA256" };
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		const struct vector *v = find(schemes[i], "");
		if (v == NULL || strcmp(v->password, "secret") != 0) {
			for (int k = 0; k < nvec; k++)
				if (strcmp(vec[k].scheme, schemes[i]) == 0 && strcmp(vec[k].password, "secret") == 0)
					v = &vec[k];
		}
		if (v == NULL)
			continue;
		const char *err;
		is_int(rg_pwscheme_verify(v->hash, "secret\0junk", 11, &def, &err), RG_PW_MISMATCH,
		       "%s: 'secret\\0junk' does not pass as 'secret'", schemes[i]);
	}
}

static void test_generate(void)
{
	struct rg_pw_params def, p;
	const char *err = NULL;

	rg_pw_params_default(&def);
	is_int(def.argon2_memory_kib, 19456, "default m = 19456 KiB");
	is_int(def.argon2_iterations, 2, "default t = 2");
	ok(!def.allow_plaintext, "plaintext off by default");

	char *h = rg_pwscheme_hash("hunter2", 7, &def, &err);
	ok(h != NULL, "hash generated%s%s", h ? "" : ": ", h ? "" : err);
	if (h == NULL)
		return;
	ok(strncmp(h, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0, "generated %s", h);
	is_int(rg_pwscheme_check(h, &def, &err), 0, "generated hash passes check");
	is_str(rg_pwscheme_name(h), "ARGON2ID", "generated hash is ARGON2ID");
	is_int(verify(h, "hunter2", &def), RG_PW_MATCH, "round trip verifies");
	is_int(verify(h, "hunter3", &def), RG_PW_MISMATCH, "round trip: wrong password fails");
	ok(rg_pwscheme_costs_as_dummy(h, &def), "a hash at the generation parameters costs as the dummy");
	char braced[256];
	snprintf(braced, sizeof braced, "{ARGON2ID}%s", h);
	ok(rg_pwscheme_costs_as_dummy(braced, &def), "  with a {ARGON2ID} prefix too");
	ok(!rg_pwscheme_costs_as_dummy(find("SHA512-CRYPT", "$6$")->hash, &def),
	   "a sha512crypt hash does not cost as the dummy");
	ok(!rg_pwscheme_costs_as_dummy(find("ARGON2ID", "$argon2id$v=19$m=19456,t=2,p=4")->hash, &def),
	   "an Argon2id hash with 4 lanes does not");
	ok(!rg_pwscheme_costs_as_dummy(NULL, &def), "NULL does not");
	char *h2 = rg_pwscheme_hash("hunter2", 7, NULL, &err);
	ok(h2 != NULL && strcmp(h, h2) != 0, "two hashes of one password differ (random salt)");

	/* Dovecot verifies our hashes too (interop for passwd-file migration). */
	if (access("/usr/bin/doveadm", X_OK) == 0) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "/usr/bin/doveadm pw -t '{ARGON2ID}%s' -p hunter2 >/dev/null 2>&1", h);
		is_int(system(cmd), 0, "doveadm pw -t verifies the generated hash");
		snprintf(cmd, sizeof cmd, "/usr/bin/doveadm pw -t '{ARGON2ID}%s' -p hunter3 >/dev/null 2>&1", h);
		ok(system(cmd) != 0, "doveadm pw -t refuses it with a wrong password");
	} else if (tap_ci()) {
		ok(0, "doveadm (dovecot-core) is required under CI=true for the interop check");
	} else {
		diag("doveadm not installed: interop check skipped");
	}
	free(h);
	free(h2);

	p = def;
	p.argon2_memory_kib = 8192;
	p.argon2_iterations = 3;
	h = rg_pwscheme_hash("x", 1, &p, &err);
	ok(h != NULL && strncmp(h, "$argon2id$v=19$m=8192,t=3,p=1$", 30) == 0, "configured params: %s",
	   h ? h : err);
	ok(h != NULL && verify(h, "x", &def) == RG_PW_MATCH, "configured-params hash verifies");
	ok(h != NULL && !rg_pwscheme_costs_as_dummy(h, &def) && rg_pwscheme_costs_as_dummy(h, &p),
	   "it costs as the dummy of its own parameters only");
	free(h);

	p.argon2_memory_kib = 1;
	err = NULL;
	h = rg_pwscheme_hash("x", 1, &p, &err);
	ok(h == NULL && err != NULL, "m=1 KiB refused: %s", err ? err : "(no error)");
	free(h);
	p.argon2_memory_kib = 8192;
	p.argon2_iterations = 0;
	err = NULL;
	h = rg_pwscheme_hash("x", 1, &p, &err);
	ok(h == NULL && err != NULL, "t=0 refused: %s", err ? err : "(no error)");
	free(h);

	/* dummy verify runs (its cost is measured by make bench) and is harmless twice */
	rg_pwscheme_dummy_verify("whatever", 8, &def);
	rg_pwscheme_dummy_verify("whatever", 8, NULL);
	p.argon2_iterations = 1;
	rg_pwscheme_dummy_verify(NULL, 0, &p);
}

/* Stored hashes over the passwords.max_* limits: refused by check, never run by
 * verify ("stored hash exceeds limits"); configured higher, accepted. */
#define SALT16 "MTMyZjZmZjRmMDM1Y2U3Zg"
#define HASH32 "Xe4aPfTIxK7ax+Ii7XiNAhjcdOK5PtTxwmek8ORFR1o"
static void test_limits(void)
{
	struct rg_pw_params def, big;
	static const struct {
		const char *hash, *why;
	} over[] = {
		{ "$argon2id$v=19$m=4194304,t=1,p=1$" SALT16 "$" HASH32, "4 GiB Argon2id" },
		{ "{ARGON2ID}$argon2id$v=19$m=262145,t=1,p=1$" SALT16 "$" HASH32, "Argon2id 256 MiB + 1 KiB" },
		{ "$argon2i$v=19$m=8192,t=1000,p=1$" SALT16 "$" HASH32, "Argon2i t=1000" },
		{ "$argon2id$v=19$m=8192,t=11,p=1$" SALT16 "$" HASH32, "Argon2id t=11" },
		/* N = 2^20 ('I'), r = 8 ('6'): 1 GiB */
		{ "$7$I6..../....zHS6RNJZ3Jd/DXln9DeeU1$pz.0V7R8OylZ.fudMIv5wj5.i4yN97LMl0Eb1tOzX34",
		  "scrypt 1 GiB" },
		/* N = 2^14, r = 8, p = 17 ('F') */
		{ "$7$C6....F....zHS6RNJZ3Jd/DXln9DeeU1$pz.0V7R8OylZ.fudMIv5wj5.i4yN97LMl0Eb1tOzX34",
		  "scrypt p=17" },
		/* mkpasswd -m yescrypt -R 11: N = 2^18, r = 32: 1 GiB */
		{ "$y$jFT$6PdrWrUoNNuvREzUvNpiR.$6UsyR2AoWjQsvbLr29eMbZ6v3EELj2U/REcY1/GRIR2",
		  "yescrypt 1 GiB" },
	};
	static const struct {
		const char *hash, *why;
	} within[] = {
		/* libsodium's argon2id MODERATE (t=3, 256 MiB) and argon2i MODERATE (t=6, 128 MiB),
		 * INTERACTIVE (t=2, 64 MiB / t=4, 32 MiB) and relayguard's own default */
		{ "$argon2id$v=19$m=262144,t=3,p=1$" SALT16 "$" HASH32, "Argon2id MODERATE" },
		{ "$argon2i$v=19$m=131072,t=6,p=1$" SALT16 "$" HASH32, "Argon2i MODERATE" },
		{ "$argon2id$v=19$m=65536,t=2,p=1$" SALT16 "$" HASH32, "Argon2id INTERACTIVE" },
		{ "$argon2i$v=19$m=32768,t=4,p=1$" SALT16 "$" HASH32, "Argon2i INTERACTIVE" },
		{ "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" HASH32, "relayguard's default" },
		/* libsodium scrypt INTERACTIVE: N = 2^14, r = 8, p = 1 (16 MiB) */
		{ "$7$C6..../....zHS6RNJZ3Jd/DXln9DeeU1$pz.0V7R8OylZ.fudMIv5wj5.i4yN97LMl0Eb1tOzX34",
		  "scrypt INTERACTIVE" },
		/* mkpasswd -m scrypt (N = 2^14, r = 32: 64 MiB), yescrypt default (16 MiB) */
		{ "$7$CU..../....zHS6RNJZ3Jd/DXln9DeeU1$pz.0V7R8OylZ.fudMIv5wj5.i4yN97LMl0Eb1tOzX34",
		  "mkpasswd scrypt" },
		{ "$y$j9T$KnsBVltiwLBPmZGYBySxL.$TpzLT8Gpr4qZ4hPdtAS6mwx/uf.3Z4iFs/iSNgKQt23", "yescrypt j9T" },
	};

	rg_pw_params_default(&def);
	is_int(def.max_argon2_memory_kib, 262144, "default max_argon2_memory_kib = 256 MiB");
	for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
		const char *err = NULL;
		is_int(rg_pwscheme_check(over[i].hash, &def, &err), -1, "check refuses %s", over[i].why);
		ok(err != NULL && strstr(err, "stored hash exceeds limits") != NULL, "  %s",
		   err ? err : "(no error)");
		err = NULL;
		is_int(rg_pwscheme_verify(over[i].hash, "x", 1, &def, &err), RG_PW_ERROR,
		       "  verify does not run it: RG_PW_ERROR");
		ok(err != NULL && strstr(err, "stored hash exceeds limits") != NULL, "  verify says %s",
		   err ? err : "(no error)");
	}
	for (size_t i = 0; i < sizeof within / sizeof within[0]; i++) {
		const char *err = NULL;
		is_int(rg_pwscheme_check(within[i].hash, &def, &err), 0, "default limits admit %s%s%s",
		       within[i].why, err ? ": " : "", err ? err : "");
	}
	memset(&big, 0, sizeof big);	/* 0 = the defaults too */
	is_int(rg_pwscheme_check(over[1].hash, &big, NULL), -1, "zeroed limits are the defaults");
	big = def;
	big.max_argon2_memory_kib = 4194304;
	big.max_argon2_iterations = 1000;
	big.max_scrypt_memory_kib = 1048576;
	big.max_scrypt_parallelism = 17;
	for (size_t i = 0; i < sizeof over / sizeof over[0]; i++) {
		const char *err = NULL;
		is_int(rg_pwscheme_check(over[i].hash, &big, &err), 0, "raised limits admit %s%s%s",
		       over[i].why, err ? ": " : "", err ? err : "");
	}
}

/* Out of memory while hashing: the right password is never a mismatch.  The
 * address space is limited to a little above what the process uses now, so the
 * schemes' memory cannot be had; afterwards the limit is lifted again. */
#if !defined(__SANITIZE_ADDRESS__)
static long vm_size_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kib;
}
#endif

static void test_out_of_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	diag("out-of-memory checks need RLIMIT_AS, which AddressSanitizer cannot run under: "
	     "they run in the plain build");
#else
	struct rg_pw_params def, low;
	struct rlimit saved, lim;
	char *a2 = NULL, *a2i = NULL;
	const char *err;
	struct oom_case {
		const char *why, *hash, *pw;
	} cases[8];
	size_t n = 0;

	rg_pw_params_default(&def);
	low = def;
	low.argon2_memory_kib = 32768;	/* 32 MiB, one lane, 16-byte salt: crypto_pwhash derives */
	low.argon2_iterations = 1;
	a2 = rg_pwscheme_hash("oom-pw", 6, &low, &err);
	ok(a2 != NULL, "made a 32 MiB Argon2id hash");
	/* argon2i through libsodium's own str form (t=3 would be derived; t=1 is not) */
	char a2i_buf[crypto_pwhash_argon2i_STRBYTES];
	if (crypto_pwhash_argon2i_str(a2i_buf, "oom-pw", 6, 3, 32u << 20) == 0)
		a2i = a2i_buf;
	ok(a2i != NULL, "made a 32 MiB Argon2i hash");
	if (a2 != NULL)
		cases[n++] = (struct oom_case){ "Argon2id (derived)", a2, "oom-pw" };
	if (a2i != NULL)
		cases[n++] = (struct oom_case){ "Argon2i (derived)", a2i, "oom-pw" };
	static const char *const from_vectors[][2] = {
		{ "ARGON2ID", "p=4 lanes" },	/* 4 lanes: libsodium's str_verify + memory check */
		{ "ARGON2I", "one pass" },	/* argon2i t=1: likewise */
		{ "SCRYPT", "sodium scrypt" },	/* libsodium's $7$, 16 MiB */
		{ "SCRYPT", "secret" },		/* libxcrypt's $7$ (crypt_rn), 64 MiB */
		{ "YESCRYPT", "secret" },	/* crypt_rn, 16 MiB */
	};
	for (size_t i = 0; i < sizeof from_vectors / sizeof from_vectors[0]; i++)
		for (int k = 0; k < nvec; k++)
			if (strcmp(vec[k].scheme, from_vectors[i][0]) == 0 &&
			    strcmp(vec[k].password, from_vectors[i][1]) == 0) {
				cases[n++] = (struct oom_case){ vec[k].scheme, vec[k].hash, vec[k].password };
				break;
			}
	is_int(n, 7, "seven memory-hard hashes to try");
	const struct vector *cheap = find("SHA512-CRYPT", "$6$gt3");
	ok(cheap != NULL, "a sha512crypt vector for comparison");

	/* warm up what is set up once (libsodium, the dummy, libxcrypt, OpenSSL) */
	for (size_t i = 0; i < n; i++)
		(void)verify(cases[i].hash, cases[i].pw, &def);
	rg_pwscheme_dummy_verify("x", 1, &def);

	long kib = vm_size_kib();
	ok(kib > 0 && getrlimit(RLIMIT_AS, &saved) == 0, "VmSize %ld KiB", kib);
	if (kib <= 0)
		goto out;
	lim = saved;
	lim.rlim_cur = ((rlim_t)kib + 4096) * 1024;	/* 4 MiB more: none of the hashes fits */
	ok(setrlimit(RLIMIT_AS, &lim) == 0, "address space limited to VmSize + 4 MiB");
	enum rg_pw_result got[8], cheap_got = RG_PW_ERROR;
	const char *errs[8];
	for (size_t i = 0; i < n; i++) {
		errs[i] = NULL;
		got[i] = rg_pwscheme_verify(cases[i].hash, cases[i].pw, strlen(cases[i].pw), &def,
					    &errs[i]);
	}
	if (cheap != NULL)
		cheap_got = verify(cheap->hash, cheap->password, &def);
	setrlimit(RLIMIT_AS, &saved);	/* memory is back */
	for (size_t i = 0; i < n; i++) {
		is_int(got[i], RG_PW_TEMPFAIL, "%s, right password, out of memory: RG_PW_TEMPFAIL, "
		       "not a mismatch (%s)", cases[i].why, errs[i] ? errs[i] : "no error text");
		is_int(verify(cases[i].hash, cases[i].pw, &def), RG_PW_MATCH,
		       "  memory back: the right password matches at once");
		is_int(verify(cases[i].hash, "wrong", &def), RG_PW_MISMATCH, "  a wrong one does not");
	}
	is_int(cheap_got, RG_PW_MATCH, "under the same limit sha512crypt still verifies");
out:
	free(a2);
#endif
}

/* Several threads verifying at once get the same answers (crypt_rn, EVP, libsodium). */
#define NTHREADS 4
static int thread_failures;
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	static const char *const schemes[] = { "SHA512-CRYPT", "SHA256-CRYPT", "YESCRYPT",
					       "SSHA512", "PBKDF2", "PBKDF2-SHA256", "BLF-CRYPT" };
	struct rg_pw_params def;
	int bad = 0;

	rg_pw_params_default(&def);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
			size_t k = (i + (size_t)(long)arg) % (sizeof schemes / sizeof schemes[0]);
			const struct vector *v = find(schemes[k], "");
			if (v == NULL)
				continue;
			if (verify(v->hash, v->password, &def) != RG_PW_MATCH)
				bad++;
			if (verify(v->hash, "not it", &def) != RG_PW_MISMATCH)
				bad++;
		}
	}
	pthread_mutex_lock(&fail_lock);
	thread_failures += bad;
	pthread_mutex_unlock(&fail_lock);
	return NULL;
}

static void test_threads(void)
{
	pthread_t t[NTHREADS];
	int started = 0;

	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i) == 0)
			started++;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	is_int(started, NTHREADS, "threads started");
	is_int(thread_failures, 0, "concurrent verifies all correct");
}

int main(void)
{
	if (load_vectors() < 0) {
		ok(0, "known-answer vectors loaded");
		return done_testing();
	}
	ok(nvec >= 40, "loaded %d known-answer vectors", nvec);
	test_vectors();
	test_aliases();
	test_malformed();
	test_nul_in_password();
	test_generate();
	test_limits();
	test_out_of_memory();
	test_threads();
	return done_testing();
}
