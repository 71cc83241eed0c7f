/*
 * pwscheme.c — password schemes as a table (see pwscheme.h).
 *
 * Two tables: `formats` says how one encoding is checked and verified;
 * `prefixes` maps what a stored hash starts with ("$6$", "{SHA512-CRYPT}",
 * "{CRYPT}", ...) to a format.  "$id$" prefixes are part of the hash and are
 * matched case-sensitively; Dovecot/LDAP "{SCHEME}" prefixes are stripped and
 * matched case-insensitively.
 *
 * Decisions:
 *  - MD5-crypt ($1$, {MD5-CRYPT}) and DES crypt ({CRYPT}/{DES-CRYPT} with 13
 *    characters) are weak: refused unless allow_plaintext, then flagged weak
 *    like {PLAIN} (callers log them).
 *  - Argon2 with p > 1 (e.g. the argon2 CLI's -p 4) is accepted: libsodium
 *    1.0.18 verifies any lane count (single-threaded).  Argon2 version 1.0
 *    (v=16, or no v= field) is refused at check time: libsodium cannot verify it.
 *  - "$7$" scrypt: libsodium's fixed-length form (101 characters) is derived
 *    with crypto_pwhash_scryptsalsa208sha256_ll; libxcrypt's shorter-salt
 *    form (mkpasswd -m scrypt) goes through crypt_rn, which libsodium rejects.
 *  - Out of memory is never a mismatch: libsodium's str_verify functions
 *    report it as one, so Argon2 and scrypt are derived from the parsed
 *    parameters and compared here (pwscheme_formats.c); a verify that could
 *    not run is RG_PW_TEMPFAIL.
 *  - Cost limits (max_argon2_memory_kib, max_argon2_iterations,
 *    max_scrypt_memory_kib, max_scrypt_parallelism) are part of the check:
 *    a stored hash over them is refused at load / by `relayguard -n`, and at
 *    verify time is RG_PW_ERROR "stored hash exceeds limits", never run.
 *
 * No function here logs, keeps static mutable buffers or calls crypt().
 */
#include <autoconfig.h>

#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "pwscheme.h"
#include "pwscheme_formats.h"

#define ARGON2_DEFAULT_KIB 19456u
#define ARGON2_DEFAULT_PASSES 2u

void rg_pw_params_default(struct rg_pw_params *p)
{
	p->allow_plaintext = false;
	p->argon2_memory_kib = ARGON2_DEFAULT_KIB;
	p->argon2_iterations = ARGON2_DEFAULT_PASSES;
	p->max_argon2_memory_kib = RG_PW_MAX_ARGON2_MEMORY_KIB;
	p->max_argon2_iterations = RG_PW_MAX_ARGON2_ITERATIONS;
	p->max_scrypt_memory_kib = RG_PW_MAX_SCRYPT_MEMORY_KIB;
	p->max_scrypt_parallelism = RG_PW_MAX_SCRYPT_PARALLELISM;
}

/* ---- library init ---------------------------------------------------- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_init_once(void)
{
	sodium_ok = sodium_init() >= 0;
}

static bool crypto_ready(void)
{
	return pthread_once(&sodium_once, sodium_init_once) == 0 && sodium_ok;
}

/* ---- the tables ------------------------------------------------------ */

enum fmt_id {
	F_ARGON2ID, F_ARGON2I, F_SCRYPT, F_YESCRYPT, F_BCRYPT, F_SHA512CRYPT,
	F_SHA256CRYPT, F_MD5CRYPT, F_DESCRYPT, F_SSHA256, F_SSHA512,
	F_PBKDF2_DOVECOT, F_PBKDF2_SHA1, F_PBKDF2_SHA256, F_PBKDF2_SHA512,
	F_PLAIN,
	F_CRYPT_ANY,		/* {CRYPT}: decided by what follows */
};

static const struct rg_pwformat formats[] = {
	[F_ARGON2ID] = { "ARGON2ID", false, rg_pwf_check_argon2, rg_pwf_verify_argon2, "$argon2id$", 0 },
	[F_ARGON2I] = { "ARGON2I", false, rg_pwf_check_argon2, rg_pwf_verify_argon2, "$argon2i$", 0 },
	[F_SCRYPT] = { "SCRYPT", false, rg_pwf_check_scrypt, rg_pwf_verify_scrypt, "$7$", 0 },
	[F_YESCRYPT] = { "YESCRYPT", false, rg_pwf_check_yescrypt, rg_pwf_verify_crypt, "$y$", 0 },
	[F_BCRYPT] = { "BLF-CRYPT", false, rg_pwf_check_bcrypt, rg_pwf_verify_crypt, "$2", 0 },
	[F_SHA512CRYPT] = { "SHA512-CRYPT", false, rg_pwf_check_shacrypt, rg_pwf_verify_crypt, "$6$", 86 },
	[F_SHA256CRYPT] = { "SHA256-CRYPT", false, rg_pwf_check_shacrypt, rg_pwf_verify_crypt, "$5$", 43 },
	[F_MD5CRYPT] = { "MD5-CRYPT", true, rg_pwf_check_md5crypt, rg_pwf_verify_crypt, "$1$", 22 },
	[F_DESCRYPT] = { "DES-CRYPT", true, rg_pwf_check_descrypt, rg_pwf_verify_crypt, "", 13 },
	[F_SSHA256] = { "SSHA256", false, rg_pwf_check_ssha, rg_pwf_verify_ssha, "SHA256", 32 },
	[F_SSHA512] = { "SSHA512", false, rg_pwf_check_ssha, rg_pwf_verify_ssha, "SHA512", 64 },
	[F_PBKDF2_DOVECOT] = { "PBKDF2", false, rg_pwf_check_pbkdf2_dovecot, rg_pwf_verify_pbkdf2_dovecot, "SHA1", 20 },
	[F_PBKDF2_SHA1] = { "PBKDF2-SHA1", false, rg_pwf_check_pbkdf2_ab64, rg_pwf_verify_pbkdf2_ab64, "SHA1", 20 },
	[F_PBKDF2_SHA256] = { "PBKDF2-SHA256", false, rg_pwf_check_pbkdf2_ab64, rg_pwf_verify_pbkdf2_ab64, "SHA256", 32 },
	[F_PBKDF2_SHA512] = { "PBKDF2-SHA512", false, rg_pwf_check_pbkdf2_ab64, rg_pwf_verify_pbkdf2_ab64, "SHA512", 64 },
	[F_PLAIN] = { "PLAIN", true, rg_pwf_check_plain, rg_pwf_verify_plain, "", 0 },
};

struct prefix {
	const char *prefix;
	enum fmt_id fmt;
	bool strip;		/* prefix is not part of the format's own text */
};

/* Modular-crypt style: case-sensitive. */
static const struct prefix dollar_prefixes[] = {
	{ "$argon2id$", F_ARGON2ID, false },
	{ "$argon2i$", F_ARGON2I, false },
	{ "$7$", F_SCRYPT, false },
	{ "$y$", F_YESCRYPT, false },
	{ "$2b$", F_BCRYPT, false },
	{ "$2y$", F_BCRYPT, false },
	{ "$2a$", F_BCRYPT, false },
	{ "$6$", F_SHA512CRYPT, false },
	{ "$5$", F_SHA256CRYPT, false },
	{ "$1$", F_MD5CRYPT, false },
	{ "$pbkdf2$", F_PBKDF2_SHA1, true },		/* passlib pbkdf2_sha1 */
	{ "$pbkdf2-sha256$", F_PBKDF2_SHA256, true },	/* passlib pbkdf2_sha256 */
	{ "$pbkdf2-sha512$", F_PBKDF2_SHA512, true },	/* passlib pbkdf2_sha512 */
};

/* Dovecot / LDAP style: case-insensitive, always stripped. */
static const struct prefix brace_prefixes[] = {
	{ "{ARGON2ID}", F_ARGON2ID, true },
	{ "{ARGON2I}", F_ARGON2I, true },
	{ "{SCRYPT}", F_SCRYPT, true },
	{ "{BLF-CRYPT}", F_BCRYPT, true },
	{ "{SHA512-CRYPT}", F_SHA512CRYPT, true },
	{ "{SHA256-CRYPT}", F_SHA256CRYPT, true },
	{ "{MD5-CRYPT}", F_MD5CRYPT, true },
	{ "{DES-CRYPT}", F_DESCRYPT, true },
	{ "{CRYPT}", F_CRYPT_ANY, true },
	{ "{SSHA256}", F_SSHA256, true },
	{ "{SSHA512}", F_SSHA512, true },
	{ "{PBKDF2}", F_PBKDF2_DOVECOT, true },		/* Dovecot: $1$salt$rounds$hex */
	{ "{PBKDF2-SHA1}", F_PBKDF2_SHA1, true },	/* OpenLDAP pw-pbkdf2 / passlib ldap_pbkdf2_* */
	{ "{PBKDF2-SHA256}", F_PBKDF2_SHA256, true },
	{ "{PBKDF2-SHA512}", F_PBKDF2_SHA512, true },
	{ "{PLAIN}", F_PLAIN, true },
	{ "{CLEARTEXT}", F_PLAIN, true },
	{ "{CLEAR}", F_PLAIN, true },
};

#define UNKNOWN(p, why) { p, "unknown password scheme prefix '" p "' (" why ")" }
/* Schemes we know of and refuse: named in the error so the admin sees which. */
static const struct refused {
	const char *prefix;
	const char *error;
} refused[] = {
	UNKNOWN("{MD5}", "unsalted MD5; rehash with relayguardctl hash"),
	UNKNOWN("{PLAIN-MD5}", "unsalted MD5; rehash with relayguardctl hash"),
	UNKNOWN("{LDAP-MD5}", "unsalted MD5; rehash with relayguardctl hash"),
	UNKNOWN("{SMD5}", "salted MD5 is too fast; rehash with relayguardctl hash"),
	UNKNOWN("{SHA}", "unsalted SHA-1; rehash with relayguardctl hash"),
	UNKNOWN("{SHA1}", "unsalted SHA-1; rehash with relayguardctl hash"),
	UNKNOWN("{SSHA}", "salted SHA-1 is too weak; rehash with relayguardctl hash"),
	UNKNOWN("{SHA256}", "unsalted SHA-256; use {SSHA256} or rehash"),
	UNKNOWN("{SHA512}", "unsalted SHA-512; use {SSHA512} or rehash"),
	UNKNOWN("{CRAM-MD5}", "not a verifiable password hash; rehash with relayguardctl hash"),
	UNKNOWN("{HMAC-MD5}", "not a verifiable password hash; rehash with relayguardctl hash"),
	UNKNOWN("{DIGEST-MD5}", "not a verifiable password hash; rehash with relayguardctl hash"),
	UNKNOWN("{PLAIN-MD4}", "unsalted MD4; rehash with relayguardctl hash"),
	UNKNOWN("{NTLM}", "unsalted MD4; rehash with relayguardctl hash"),
	UNKNOWN("{LANMAN}", "insecure; rehash with relayguardctl hash"),
	UNKNOWN("{SCRAM-SHA-1}", "SCRAM verifiers are not supported; rehash with relayguardctl hash"),
	UNKNOWN("{SCRAM-SHA-256}", "SCRAM verifiers are not supported; rehash with relayguardctl hash"),
	UNKNOWN("{OTP}", "not supported"),
	UNKNOWN("{PLAIN-TRUNC}", "not supported"),
	UNKNOWN("$2x$", "buggy pre-2011 bcrypt; rehash with relayguardctl hash"),
	UNKNOWN("$gy$", "GOST yescrypt is not supported"),
	UNKNOWN("$3$", "NT hash; rehash with relayguardctl hash"),
	UNKNOWN("$md5", "SunMD5 is insecure; rehash with relayguardctl hash"),
	UNKNOWN("$sha1$", "SHA1-crypt is not supported; rehash with relayguardctl hash"),
};
#undef UNKNOWN

#define SUPPORTED "supported: $argon2id$ $argon2i$ $7$ $y$ $2b$ $2y$ $2a$ $6$ $5$ " \
	"$pbkdf2-sha256$ $pbkdf2-sha512$ {ARGON2ID} {ARGON2I} {SCRYPT} {BLF-CRYPT} " \
	"{SHA512-CRYPT} {SHA256-CRYPT} {CRYPT} {SSHA256} {SSHA512} {PBKDF2} " \
	"{PBKDF2-SHA256} {PBKDF2-SHA512} {PLAIN}"

static bool has_prefix(const char *s, const char *p, bool nocase)
{
	size_t n = strlen(p);
	return nocase ? strncasecmp(s, p, n) == 0 : strncmp(s, p, n) == 0;
}

/* {CRYPT}: whatever crypt(3) form follows. */
static int crypt_any(const char *payload, enum fmt_id *id_r, const char **error_r)
{
	static const struct prefix crypt_forms[] = {
		{ "$y$", F_YESCRYPT, false }, { "$2b$", F_BCRYPT, false },
		{ "$2y$", F_BCRYPT, false }, { "$2a$", F_BCRYPT, false },
		{ "$6$", F_SHA512CRYPT, false }, { "$5$", F_SHA256CRYPT, false },
		{ "$7$", F_SCRYPT, false }, { "$1$", F_MD5CRYPT, false },
	};
	for (size_t i = 0; i < sizeof crypt_forms / sizeof crypt_forms[0]; i++) {
		if (has_prefix(payload, crypt_forms[i].prefix, false)) {
			*id_r = crypt_forms[i].fmt;
			return 0;
		}
	}
	if (payload[0] != '$' && strlen(payload) == 13) {
		*id_r = F_DESCRYPT;
		return 0;
	}
	*error_r = "{CRYPT} hash is not a supported crypt(3) form "
		"($y$ yescrypt, $2b$/$2y$/$2a$ bcrypt, $6$ sha512crypt, $5$ sha256crypt, $7$ scrypt)";
	return -1;
}

/* Find the format of `stored` and the text its check/verify functions read. */
static int resolve(const char *stored, const struct rg_pwformat **fmt_r, const char **payload_r,
		   const char **error_r)
{
	const struct prefix *table = NULL;
	size_t n = 0;
	bool brace = false;

	if (stored == NULL || stored[0] == '\0') {
		*error_r = "empty password hash";
		return -1;
	}
	if (stored[0] == '$') {
		table = dollar_prefixes;
		n = sizeof dollar_prefixes / sizeof dollar_prefixes[0];
	} else if (stored[0] == '{') {
		table = brace_prefixes;
		n = sizeof brace_prefixes / sizeof brace_prefixes[0];
		brace = true;
	} else {
		*error_r = "password hash has no scheme prefix ('{SCHEME}' or '$id$'); "
			"a plaintext password needs '{PLAIN}' and allow_plaintext = true";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!has_prefix(stored, table[i].prefix, brace))
			continue;
		enum fmt_id id = table[i].fmt;
		const char *payload = table[i].strip ? stored + strlen(table[i].prefix) : stored;
		if (id == F_CRYPT_ANY && crypt_any(payload, &id, error_r) < 0)
			return -1;
		*fmt_r = &formats[id];
		*payload_r = payload;
		return 0;
	}
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (has_prefix(stored, refused[i].prefix, brace)) {
			*error_r = refused[i].error;
			return -1;
		}
	}
	*error_r = brace ? "unknown password scheme prefix '{...}' (" SUPPORTED ")"
		: "unknown password scheme prefix '$...$' (" SUPPORTED ")";
	return -1;
}

static const struct rg_pw_params *params_or_default(const struct rg_pw_params *params,
						    struct rg_pw_params *tmp)
{
	if (params != NULL)
		return params;
	rg_pw_params_default(tmp);
	return tmp;
}

static int check_resolved(const struct rg_pwformat *f, const char *payload,
			  const struct rg_pw_params *params, const char **error_r)
{
	if (f->weak && !params->allow_plaintext) {
		if (f == &formats[F_PLAIN])
			*error_r = "plaintext password refused: set allow_plaintext = true to accept "
				"{PLAIN} entries (weak), or rehash with relayguardctl hash";
		else if (f == &formats[F_MD5CRYPT])
			*error_r = "MD5-crypt ($1$) hash refused as insecure: rehash with relayguardctl "
				"hash (allow_plaintext = true accepts it as weak)";
		else
			*error_r = "DES crypt hash refused as insecure: rehash with relayguardctl hash "
				"(allow_plaintext = true accepts it as weak)";
		return -1;
	}
	return f->check(f, payload, params, error_r);
}

int rg_pwscheme_check(const char *stored, const struct rg_pw_params *params, const char **error_r)
{
	const struct rg_pwformat *f;
	const char *payload, *dummy_err;
	struct rg_pw_params tmp;

	if (error_r == NULL)
		error_r = &dummy_err;
	if (resolve(stored, &f, &payload, error_r) < 0)
		return -1;
	return check_resolved(f, payload, params_or_default(params, &tmp), error_r);
}

const char *rg_pwscheme_name(const char *stored)
{
	const struct rg_pwformat *f;
	const char *payload, *err;

	return resolve(stored, &f, &payload, &err) < 0 ? NULL : f->name;
}

bool rg_pwscheme_is_weak(const char *stored)
{
	const struct rg_pwformat *f;
	const char *payload, *err;

	return resolve(stored, &f, &payload, &err) == 0 && f->weak;
}

enum rg_pw_result rg_pwscheme_verify(const char *stored, const char *password, size_t password_len,
				     const struct rg_pw_params *params, const char **error_r)
{
	const struct rg_pwformat *f;
	const char *payload, *dummy_err;
	struct rg_pw_params tmp;

	if (error_r == NULL)
		error_r = &dummy_err;
	if (!crypto_ready()) {
		*error_r = "libsodium initialisation failed";
		return RG_PW_ERROR;
	}
	if (password == NULL && password_len > 0) {
		*error_r = "no password given";
		return RG_PW_ERROR;
	}
	if (password == NULL)
		password = "";
	if (resolve(stored, &f, &payload, error_r) < 0 ||
	    check_resolved(f, payload, params_or_default(params, &tmp), error_r) < 0)
		return RG_PW_ERROR;
	enum rg_pw_result r = f->verify(f, payload, password, password_len, error_r);
	/* Only the four documented values leave this function. */
	if (r != RG_PW_MATCH && r != RG_PW_MISMATCH && r != RG_PW_TEMPFAIL)
		return RG_PW_ERROR;
	return r;
}

/* ---- generation and the dummy verify --------------------------------- */

static int argon2_limits(const struct rg_pw_params *p, unsigned long long *ops_r,
			 size_t *mem_r, const char **error_r)
{
	unsigned long long kib = p->argon2_memory_kib, t = p->argon2_iterations;

	if (kib * 1024ULL < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
	    kib * 1024ULL > SIZE_MAX || kib * 1024ULL > crypto_pwhash_argon2id_MEMLIMIT_MAX) {
		*error_r = "argon2 memory out of range (at least 8 KiB)";
		return -1;
	}
	if (t < crypto_pwhash_argon2id_OPSLIMIT_MIN || t > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
		*error_r = "argon2 iterations out of range (at least 1)";
		return -1;
	}
	*ops_r = t;
	*mem_r = (size_t)(kib * 1024ULL);
	return 0;
}

char *rg_pwscheme_hash(const char *password, size_t password_len,
		       const struct rg_pw_params *params, const char **error_r)
{
	struct rg_pw_params tmp;
	unsigned long long ops;
	size_t mem;
	char out[crypto_pwhash_argon2id_STRBYTES];
	const char *dummy_err;

	if (error_r == NULL)
		error_r = &dummy_err;
	params = params_or_default(params, &tmp);
	if (!crypto_ready()) {
		*error_r = "libsodium initialisation failed";
		return NULL;
	}
	if (password == NULL && password_len > 0) {
		*error_r = "no password given";
		return NULL;
	}
	if (argon2_limits(params, &ops, &mem, error_r) < 0)
		return NULL;
	if (crypto_pwhash_str_alg(out, password == NULL ? "" : password, password_len, ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		*error_r = errno == ENOMEM ? "argon2id hashing failed: out of memory"
			: "argon2id hashing failed";
		return NULL;
	}
	char *s = strdup(out);
	if (s == NULL)
		*error_r = "out of memory";
	return s;
}

bool rg_pwscheme_costs_as_dummy(const char *stored, const struct rg_pw_params *params)
{
	struct rg_pw_params tmp;
	char want[64];

	params = params_or_default(params, &tmp);
	if (stored == NULL)
		return false;
	if (strncasecmp(stored, "{ARGON2ID}", 10) == 0)
		stored += 10;
	int n = snprintf(want, sizeof want, "$argon2id$v=19$m=%u,t=%u,p=1$", params->argon2_memory_kib,
			 params->argon2_iterations);
	return n > 0 && (size_t)n < sizeof want && strncmp(stored, want, (size_t)n) == 0;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_argon2id_STRBYTES];	/* written once, then read-only */
static bool dummy_ok;

static void dummy_init(void)
{
	unsigned char pw[32];

	if (!crypto_ready())
		return;
	randombytes_buf(pw, sizeof pw);
	dummy_ok = crypto_pwhash_str_alg(dummy_hash, (const char *)pw, sizeof pw,
					 ARGON2_DEFAULT_PASSES, ARGON2_DEFAULT_KIB * 1024u,
					 crypto_pwhash_ALG_ARGON2ID13) == 0;
	sodium_memzero(pw, sizeof pw);
}

void rg_pwscheme_dummy_verify(const char *password, size_t password_len,
			      const struct rg_pw_params *params)
{
	struct rg_pw_params tmp;
	unsigned long long ops;
	size_t mem;
	const char *err;
	unsigned char out[32];
	static const unsigned char salt[crypto_pwhash_SALTBYTES];

	if (password == NULL) {
		password = "";
		password_len = 0;
	}
	params = params_or_default(params, &tmp);
	if (argon2_limits(params, &ops, &mem, &err) < 0) {
		ops = ARGON2_DEFAULT_PASSES;
		mem = ARGON2_DEFAULT_KIB * 1024u;
	}
	if (ops == ARGON2_DEFAULT_PASSES && mem == ARGON2_DEFAULT_KIB * 1024u &&
	    pthread_once(&dummy_once, dummy_init) == 0 && dummy_ok) {
		/* The same path as a real verify at the default parameters (a
		 * 256-bit random password: never a match). */
		(void)rg_pwscheme_verify(dummy_hash, password, password_len, params, &err);
		return;
	}
	/* Configured parameters: derive at the same cost (verify = derive + compare). */
	if (crypto_ready() &&
	    crypto_pwhash(out, sizeof out, password, password_len, salt, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) == 0)
		sodium_memzero(out, sizeof out);
}
