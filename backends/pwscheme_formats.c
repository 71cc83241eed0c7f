/*
 * pwscheme_formats.c — check and verify functions, one set per hash encoding
 * (the table that uses them is in pwscheme.c).
 *
 * libsodium: Argon2, scrypt.  libxcrypt crypt_rn (reentrant, crypt_data on the
 * heap): yescrypt, bcrypt, sha-crypt, md5-crypt, DES, libxcrypt-form scrypt.
 * OpenSSL EVP: salted SHA-2, PBKDF2.  Every comparison is constant time and
 * every intermediate buffer holding key material is wiped.
 */
#include <autoconfig.h>

#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "pwscheme_formats.h"

#define MAX_DECODED 1024	/* salts and digests longer than this are refused */

/* ---- small parsers ---------------------------------------------------- */

static const char crypt64[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int crypt64_value(char c)
{
	const char *p = c == '\0' ? NULL : strchr(crypt64, c);
	return p == NULL ? -1 : (int)(p - crypt64);
}

static size_t crypt64_span(const char *s)
{
	return strspn(s, crypt64);
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Decimal number without sign; at most 10 digits and UINT32_MAX. */
static int parse_u32(const char **pp, uint32_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;
	size_t n = 0;

	while (*p >= '0' && *p <= '9') {
		if (++n > 10)
			return -1;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (n == 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	*pp = p;
	return 0;
}

/* Base64 without line breaks.  ab64: passlib's adapted alphabet ('.' for '+',
 * no padding).  Otherwise standard, padded or not. */
static int b64_decode(const char *s, size_t len, unsigned char *out, size_t max,
		      size_t *outlen, bool ab64)
{
	if (len == 0) {
		*outlen = 0;
		return 0;
	}
	if (ab64) {
		char tmp[MAX_DECODED * 4 / 3 + 4];
		if (len >= sizeof tmp)
			return -1;
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '+' || s[i] == '=')
				return -1;
			tmp[i] = s[i] == '.' ? '+' : s[i];
		}
		return sodium_base642bin(out, max, tmp, len, NULL, outlen, NULL,
					 sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	}
	int variant = s[len - 1] == '=' ? sodium_base64_VARIANT_ORIGINAL
		: sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	return sodium_base642bin(out, max, s, len, NULL, outlen, NULL, variant);
}

static const EVP_MD *digest_of(const struct rg_pwformat *f)
{
	if (strcmp(f->arg, "SHA1") == 0)
		return EVP_sha1();
	if (strcmp(f->arg, "SHA256") == 0)
		return EVP_sha256();
	if (strcmp(f->arg, "SHA512") == 0)
		return EVP_sha512();
	return NULL;
}

/* ---- Argon2 (libsodium) ----------------------------------------------- */

#define A2ERR(id, msg) ((id) ? "malformed argon2id hash: " msg : "malformed argon2i hash: " msg)

int rg_pwf_check_argon2(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	bool id = strcmp(f->arg, "$argon2id$") == 0;
	uint32_t v, m, t, lanes;
	unsigned char buf[MAX_DECODED];
	size_t n;

	if (!starts(s, f->arg)) {
		*error_r = A2ERR(id, "the text after the {SCHEME} prefix has the wrong '$argon2...$' type");
		return -1;
	}
	const char *p = s + strlen(f->arg);
	if (starts(p, "m=") || (starts(p, "v=") && !starts(p, "v=19$"))) {
		*error_r = id ? "argon2id hash of version 1.0 (v=16 or no v=) is not supported "
			"(libsodium verifies only v=19): rehash with relayguardctl hash"
			: "argon2i hash of version 1.0 (v=16 or no v=) is not supported "
			"(libsodium verifies only v=19): rehash with relayguardctl hash";
		return -1;
	}
	if (!starts(p, "v=") || (p += 2, parse_u32(&p, &v) < 0) ||
	    !starts(p, "$m=") || (p += 3, parse_u32(&p, &m) < 0) ||
	    !starts(p, ",t=") || (p += 3, parse_u32(&p, &t) < 0) ||
	    !starts(p, ",p=") || (p += 3, parse_u32(&p, &lanes) < 0) || *p++ != '$') {
		*error_r = A2ERR(id, "expected '$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>'");
		return -1;
	}
	if (lanes < 1 || lanes > 0xFFFFFF || t < 1 || m < 8 * lanes || m > 4u * 1024 * 1024) {
		*error_r = A2ERR(id, "parameters out of range (1 <= p, t; 8*p <= m <= 4194304 KiB)");
		return -1;
	}
	const char *salt_end = strchr(p, '$');
	if (salt_end == NULL || strchr(salt_end + 1, '$') != NULL) {
		*error_r = A2ERR(id, "expected '$<salt>$<hash>' after the parameters");
		return -1;
	}
	if (b64_decode(p, (size_t)(salt_end - p), buf, sizeof buf, &n, false) != 0 ||
	    strchr(p, '=') != NULL || n < 8) {
		*error_r = A2ERR(id, "salt is not unpadded base64 of at least 8 bytes");
		return -1;
	}
	p = salt_end + 1;
	if (b64_decode(p, strlen(p), buf, sizeof buf, &n, false) != 0 ||
	    strchr(p, '=') != NULL || n < 16) {
		*error_r = A2ERR(id, "hash is not unpadded base64 of 16 to 1024 bytes");
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_argon2(const struct rg_pwformat *f, const char *s,
				       const char *pw, size_t len, const char **error_r)
{
	int r;

	errno = 0;
	if (strcmp(f->arg, "$argon2id$") == 0)
		r = crypto_pwhash_argon2id_str_verify(s, pw, len);
	else
		r = crypto_pwhash_argon2i_str_verify(s, pw, len);
	if (r == 0)
		return RG_PW_MATCH;
	if (errno == EINVAL)	/* libsodium sets EINVAL only for a mismatch */
		return RG_PW_MISMATCH;
	*error_r = errno == EFBIG ? "password too long for argon2"
		: "argon2 verify failed (out of memory?)";
	return RG_PW_ERROR;
}

/* ---- crypt(3) forms (libxcrypt crypt_rn) ------------------------------ */

/* "$7$" N(1) r(5) p(5) salt '$' hash(43) — libsodium and libxcrypt alike. */
int rg_pwf_check_scrypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	if (!starts(s, "$7$") || crypt64_span(s + 3) < 12) {
		*error_r = "malformed scrypt hash: expected '$7$<N><r><p><salt>$<hash>'";
		return -1;
	}
	const char *p = s + 3;
	int nlog2 = crypt64_value(p[0]);
	uint64_t r = 0, par = 0;
	for (int i = 0; i < 5; i++) {
		r |= (uint64_t)crypt64_value(p[1 + i]) << (6 * i);
		par |= (uint64_t)crypt64_value(p[6 + i]) << (6 * i);
	}
	p += 11;
	size_t salt = crypt64_span(p);
	if (salt < 1 || salt > 64 || p[salt] != '$' || crypt64_span(p + salt + 1) != 43 ||
	    p[salt + 44] != '\0') {
		*error_r = "malformed scrypt hash: expected '$7$<N><r><p><salt>$<43-char hash>'";
		return -1;
	}
	if (nlog2 < 1 || nlog2 > 32 || r < 1 || par < 1 || r * par >= (1u << 30) ||
	    128u * r > ((uint64_t)4 << 30) >> nlog2) {
		*error_r = "scrypt hash parameters out of range (N, r, p >= 1; 128*r*N <= 4 GiB)";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_scrypt(const struct rg_pwformat *f, const char *s,
				       const char *pw, size_t len, const char **error_r)
{
	if (strlen(s) != crypto_pwhash_scryptsalsa208sha256_STRBYTES - 1)
		return rg_pwf_verify_crypt(f, s, pw, len, error_r);	/* libxcrypt form */
	/* libsodium's own form; it reports a mismatch and an allocation failure alike
	 * (-1), so a failure here is a refusal, never a match. */
	return crypto_pwhash_scryptsalsa208sha256_str_verify(s, pw, len) == 0
		? RG_PW_MATCH : RG_PW_MISMATCH;
}

int rg_pwf_check_yescrypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	const char *p = s + 3;
	size_t params = crypt64_span(p), salt;
	if (!starts(s, "$y$") || params < 1 || p[params] != '$' ||
	    (salt = crypt64_span(p + params + 1)) < 1 || p[params + 1 + salt] != '$' ||
	    strlen(p + params + salt + 2) != 43 || crypt64_span(p + params + salt + 2) != 43) {
		*error_r = "malformed yescrypt hash: expected '$y$<params>$<salt>$<43-char hash>'";
		return -1;
	}
	return 0;
}

int rg_pwf_check_bcrypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	if (!(starts(s, "$2b$") || starts(s, "$2y$") || starts(s, "$2a$")) ||
	    !(s[4] >= '0' && s[4] <= '3' && s[5] >= '0' && s[5] <= '9') || s[6] != '$' ||
	    strlen(s) != 60 || crypt64_span(s + 7) != 53) {
		*error_r = "malformed bcrypt hash: expected '$2b$<cost>$<53 characters>' (60 in all)";
		return -1;
	}
	int cost = (s[4] - '0') * 10 + (s[5] - '0');
	if (cost < 4 || cost > 31) {
		*error_r = "bcrypt hash cost out of range (04 to 31)";
		return -1;
	}
	return 0;
}

/* "$6$[rounds=N$]salt$hash" and "$5$..." */
int rg_pwf_check_shacrypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	bool s512 = f->width == 86;
	const char *p = s + 3;
	uint32_t rounds;

	if (!starts(s, f->arg))
		goto bad;
	if (starts(p, "rounds=")) {
		p += 7;
		if (parse_u32(&p, &rounds) < 0 || *p++ != '$')
			goto bad;
		if (rounds < 1000 || rounds > 999999999) {
			*error_r = s512 ? "sha512crypt rounds out of range (1000 to 999999999)"
				: "sha256crypt rounds out of range (1000 to 999999999)";
			return -1;
		}
	}
	size_t salt = crypt64_span(p);
	if (salt > 16 || p[salt] != '$' || strlen(p + salt + 1) != f->width ||
	    crypt64_span(p + salt + 1) != f->width)
		goto bad;
	return 0;
bad:
	*error_r = s512 ? "malformed sha512crypt hash: expected '$6$[rounds=N$]<salt>$<86-char hash>'"
		: "malformed sha256crypt hash: expected '$5$[rounds=N$]<salt>$<43-char hash>'";
	return -1;
}

int rg_pwf_check_md5crypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	size_t salt = crypt64_span(s + 3);
	if (!starts(s, "$1$") || salt > 8 || s[3 + salt] != '$' || strlen(s + salt + 4) != 22 ||
	    crypt64_span(s + salt + 4) != 22) {
		*error_r = "malformed MD5-crypt hash: expected '$1$<salt>$<22-char hash>'";
		return -1;
	}
	return 0;
}

int rg_pwf_check_descrypt(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	if (strlen(s) != 13 || crypt64_span(s) != 13) {
		*error_r = "malformed DES crypt hash: expected 13 characters of [./0-9A-Za-z]";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_crypt(const struct rg_pwformat *f, const char *s,
				      const char *pw, size_t len, const char **error_r)
{
	(void)f;
	/* crypt(3) takes a C string: a password with NUL or longer than libxcrypt
	 * accepts cannot be the one stored. */
	if (memchr(pw, '\0', len) != NULL || len >= CRYPT_MAX_PASSPHRASE_SIZE)
		return RG_PW_MISMATCH;

	struct crypt_data *cd = calloc(1, sizeof *cd);	/* ~32 KiB: not on the stack */
	char *phrase = malloc(len + 1);
	enum rg_pw_result res = RG_PW_ERROR;

	*error_r = "out of memory";
	if (cd != NULL && phrase != NULL) {
		memcpy(phrase, pw, len);
		phrase[len] = '\0';
		const char *out = crypt_rn(phrase, s, cd, (int)sizeof *cd);
		size_t slen = strlen(s);
		if (out == NULL || out[0] == '*') {
			*error_r = "crypt_rn refused the hash (scheme not supported by libxcrypt?)";
		} else if (strlen(out) == slen && sodium_memcmp(out, s, slen) == 0) {
			res = RG_PW_MATCH;
		} else {
			res = RG_PW_MISMATCH;
		}
	}
	if (cd != NULL)
		sodium_memzero(cd, sizeof *cd);
	if (phrase != NULL)
		sodium_memzero(phrase, len + 1);
	free(cd);
	free(phrase);
	return res;
}

/* ---- salted SHA-2: base64(digest || salt) (OpenSSL EVP) ---------------- */

int rg_pwf_check_ssha(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	unsigned char buf[MAX_DECODED];
	size_t n;

	if (b64_decode(s, strlen(s), buf, sizeof buf, &n, false) != 0 || n <= f->width) {
		*error_r = f->width == 32
			? "malformed {SSHA256} hash: expected base64 of a 32-byte digest and a salt"
			: "malformed {SSHA512} hash: expected base64 of a 64-byte digest and a salt";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_ssha(const struct rg_pwformat *f, const char *s,
				     const char *pw, size_t len, const char **error_r)
{
	unsigned char stored[MAX_DECODED], dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	size_t n;
	enum rg_pw_result res = RG_PW_ERROR;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	*error_r = "salted SHA-2 digest failed";
	if (ctx != NULL && b64_decode(s, strlen(s), stored, sizeof stored, &n, false) == 0 &&
	    n > f->width && EVP_DigestInit_ex(ctx, digest_of(f), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pw, len) == 1 &&
	    EVP_DigestUpdate(ctx, stored + f->width, n - f->width) == 1 &&
	    EVP_DigestFinal_ex(ctx, dig, &dlen) == 1 && dlen == f->width)
		res = sodium_memcmp(dig, stored, f->width) == 0 ? RG_PW_MATCH : RG_PW_MISMATCH;
	EVP_MD_CTX_free(ctx);
	sodium_memzero(dig, sizeof dig);
	sodium_memzero(stored, sizeof stored);
	return res;
}

/* ---- PBKDF2 (OpenSSL) -------------------------------------------------- */

static enum rg_pw_result pbkdf2_compare(const struct rg_pwformat *f, const char *pw, size_t len,
					const unsigned char *salt, size_t saltlen, uint32_t rounds,
					const unsigned char *want, const char **error_r)
{
	unsigned char key[EVP_MAX_MD_SIZE];
	enum rg_pw_result res;

	if (len > INT_MAX)
		return RG_PW_MISMATCH;
	if (PKCS5_PBKDF2_HMAC(pw, (int)len, salt, (int)saltlen, (int)rounds, digest_of(f),
			      (int)f->width, key) != 1) {
		*error_r = "PBKDF2 computation failed";
		res = RG_PW_ERROR;
	} else {
		res = sodium_memcmp(key, want, f->width) == 0 ? RG_PW_MATCH : RG_PW_MISMATCH;
	}
	sodium_memzero(key, sizeof key);
	return res;
}

/* Dovecot {PBKDF2}: "$1$<salt text>$<rounds>$<40 hex>", PBKDF2-HMAC-SHA1, the
 * salt used as its literal characters. */
static int parse_dovecot(const char *s, const char **salt_r, size_t *saltlen_r,
			 uint32_t *rounds_r, unsigned char key_r[20])
{
	const char *p = s + 3, *end;
	size_t n;

	if (!starts(s, "$1$") || (end = strchr(p, '$')) == NULL || end == p)
		return -1;
	*salt_r = p;
	*saltlen_r = (size_t)(end - p);
	p = end + 1;
	if (parse_u32(&p, rounds_r) < 0 || *rounds_r < 1 || *rounds_r > INT_MAX || *p++ != '$')
		return -1;
	if (strlen(p) != 40 || sodium_hex2bin(key_r, 20, p, 40, NULL, &n, NULL) != 0 || n != 20)
		return -1;
	return 0;
}

int rg_pwf_check_pbkdf2_dovecot(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	const char *salt;
	size_t saltlen;
	uint32_t rounds;
	unsigned char key[20];

	(void)f;
	if (parse_dovecot(s, &salt, &saltlen, &rounds, key) < 0) {
		*error_r = "malformed {PBKDF2} hash: expected Dovecot's '$1$<salt>$<rounds>$<40 hex digits>'";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_pbkdf2_dovecot(const struct rg_pwformat *f, const char *s,
					       const char *pw, size_t len, const char **error_r)
{
	const char *salt;
	size_t saltlen;
	uint32_t rounds;
	unsigned char key[20];

	if (parse_dovecot(s, &salt, &saltlen, &rounds, key) < 0) {
		*error_r = "malformed {PBKDF2} hash";
		return RG_PW_ERROR;
	}
	return pbkdf2_compare(f, pw, len, (const unsigned char *)salt, saltlen, rounds, key, error_r);
}

/* passlib "$pbkdf2-sha256$" and LDAP "{PBKDF2-SHA256}" (after the prefix):
 * "<rounds>$<ab64 salt>$<ab64 hash>". */
static int parse_ab64(const struct rg_pwformat *f, const char *s, unsigned char *salt,
		      size_t *saltlen_r, uint32_t *rounds_r, unsigned char *key)
{
	const char *p = s, *end;
	size_t n;

	if (parse_u32(&p, rounds_r) < 0 || *rounds_r < 1 || *rounds_r > INT_MAX || *p++ != '$' ||
	    (end = strchr(p, '$')) == NULL ||
	    b64_decode(p, (size_t)(end - p), salt, MAX_DECODED, saltlen_r, true) != 0)
		return -1;
	p = end + 1;
	if (b64_decode(p, strlen(p), key, EVP_MAX_MD_SIZE, &n, true) != 0 || n != f->width)
		return -1;
	return 0;
}

int rg_pwf_check_pbkdf2_ab64(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	unsigned char salt[MAX_DECODED], key[EVP_MAX_MD_SIZE];
	size_t saltlen;
	uint32_t rounds;

	if (parse_ab64(f, s, salt, &saltlen, &rounds, key) < 0) {
		*error_r = f->width == 20 ? "malformed PBKDF2-SHA1 hash: expected "
			"'<rounds>$<salt>$<hash>' in adapted base64 (20-byte hash)"
			: f->width == 32 ? "malformed PBKDF2-SHA256 hash: expected "
			"'<rounds>$<salt>$<hash>' in adapted base64 (32-byte hash)"
			: "malformed PBKDF2-SHA512 hash: expected "
			"'<rounds>$<salt>$<hash>' in adapted base64 (64-byte hash)";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_pbkdf2_ab64(const struct rg_pwformat *f, const char *s,
					    const char *pw, size_t len, const char **error_r)
{
	unsigned char salt[MAX_DECODED], key[EVP_MAX_MD_SIZE];
	size_t saltlen;
	uint32_t rounds;

	if (parse_ab64(f, s, salt, &saltlen, &rounds, key) < 0) {
		*error_r = "malformed PBKDF2 hash";
		return RG_PW_ERROR;
	}
	return pbkdf2_compare(f, pw, len, salt, saltlen, rounds, key, error_r);
}

/* ---- plaintext (weak; only with allow_plaintext) ----------------------- */

int rg_pwf_check_plain(const struct rg_pwformat *f, const char *s, const char **error_r)
{
	(void)f;
	if (s[0] == '\0') {
		*error_r = "empty {PLAIN} password";
		return -1;
	}
	return 0;
}

enum rg_pw_result rg_pwf_verify_plain(const struct rg_pwformat *f, const char *s,
				      const char *pw, size_t len, const char **error_r)
{
	unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];
	enum rg_pw_result res = RG_PW_ERROR;

	(void)f;
	*error_r = "BLAKE2b failed";
	/* Compare digests so that neither content nor length leaks through timing. */
	if (crypto_generichash(a, sizeof a, (const unsigned char *)s, strlen(s), NULL, 0) == 0 &&
	    crypto_generichash(b, sizeof b, (const unsigned char *)pw, len, NULL, 0) == 0)
		res = sodium_memcmp(a, b, sizeof a) == 0 ? RG_PW_MATCH : RG_PW_MISMATCH;
	sodium_memzero(a, sizeof a);
	sodium_memzero(b, sizeof b);
	return res;
}
