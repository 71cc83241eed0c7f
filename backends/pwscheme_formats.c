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
#include <sys/mman.h>

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

/* ---- cost limits --------------------------------------------------------- */

static unsigned limit(unsigned configured, unsigned def)
{
	return configured > 0 ? configured : def;
}

/* Can `bytes` of anonymous memory be mapped now?  The same call libsodium's
 * Argon2 makes for its memory, so it fails where that one would. */
static bool memory_available(uint64_t bytes)
{
	if (bytes > SIZE_MAX)
		return false;
	void *m = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	munmap(m, (size_t)bytes);
	return true;
}

/* ---- Argon2 (libsodium) ----------------------------------------------- */

#define A2ERR(id, msg) ((id) ? "malformed argon2id hash: " msg : "malformed argon2i hash: " msg)

struct argon2_parsed {
	uint32_t m, t, lanes;
	unsigned char salt[MAX_DECODED], hash[MAX_DECODED];
	size_t saltlen, hashlen;
};

static int parse_argon2(const struct rg_pwformat *f, const char *s, struct argon2_parsed *a,
			const char **error_r)
{
	bool id = strcmp(f->arg, "$argon2id$") == 0;
	uint32_t v;

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
	    !starts(p, "$m=") || (p += 3, parse_u32(&p, &a->m) < 0) ||
	    !starts(p, ",t=") || (p += 3, parse_u32(&p, &a->t) < 0) ||
	    !starts(p, ",p=") || (p += 3, parse_u32(&p, &a->lanes) < 0) || *p++ != '$') {
		*error_r = A2ERR(id, "expected '$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>'");
		return -1;
	}
	if (a->lanes < 1 || a->lanes > 0xFFFFFF || a->t < 1 || a->m < 8 * a->lanes ||
	    a->m > 4u * 1024 * 1024) {
		*error_r = A2ERR(id, "parameters out of range (1 <= p, t; 8*p <= m <= 4194304 KiB)");
		return -1;
	}
	const char *salt_end = strchr(p, '$');
	if (salt_end == NULL || strchr(salt_end + 1, '$') != NULL) {
		*error_r = A2ERR(id, "expected '$<salt>$<hash>' after the parameters");
		return -1;
	}
	if (b64_decode(p, (size_t)(salt_end - p), a->salt, sizeof a->salt, &a->saltlen, false) != 0 ||
	    strchr(p, '=') != NULL || a->saltlen < 8) {
		*error_r = A2ERR(id, "salt is not unpadded base64 of at least 8 bytes");
		return -1;
	}
	p = salt_end + 1;
	if (b64_decode(p, strlen(p), a->hash, sizeof a->hash, &a->hashlen, false) != 0 ||
	    strchr(p, '=') != NULL || a->hashlen < 16) {
		*error_r = A2ERR(id, "hash is not unpadded base64 of 16 to 1024 bytes");
		return -1;
	}
	return 0;
}

int rg_pwf_check_argon2(const struct rg_pwformat *f, const char *s,
			const struct rg_pw_params *params, const char **error_r)
{
	struct argon2_parsed a;
	int r = parse_argon2(f, s, &a, error_r);

	if (r == 0 && a.m > limit(params->max_argon2_memory_kib, RG_PW_MAX_ARGON2_MEMORY_KIB)) {
		*error_r = "stored hash exceeds limits: Argon2 memory (m=) above "
			"passwords.max_argon2_memory_kib";
		r = -1;
	} else if (r == 0 && a.t > limit(params->max_argon2_iterations, RG_PW_MAX_ARGON2_ITERATIONS)) {
		*error_r = "stored hash exceeds limits: Argon2 iterations (t=) above "
			"passwords.max_argon2_iterations";
		r = -1;
	}
	sodium_memzero(&a, sizeof a);
	return r;
}

/* libsodium's crypto_pwhash_argon2*_str_verify turn an allocation failure
 * into a mismatch (libsodium 1.0.18), so the right password would be refused
 * while memory is short.  Instead: derive with crypto_pwhash from the parsed
 * parameters (it fails with -1 when it cannot run) and compare ourselves.
 * crypto_pwhash derives only one lane with a 16-byte salt (and argon2i with
 * t >= 3); the other encodings (the argon2 CLI's -p 4, other salt lengths) go
 * through str_verify, whose "mismatch" is believed only if the hash's memory
 * can be mapped before and after it. */
enum rg_pw_result rg_pwf_verify_argon2(const struct rg_pwformat *f, const char *s,
				       const char *pw, size_t len, const char **error_r)
{
	bool id = strcmp(f->arg, "$argon2id$") == 0;
	struct argon2_parsed a;
	unsigned char out[MAX_DECODED];
	enum rg_pw_result res;
	int r;

	if (parse_argon2(f, s, &a, error_r) < 0)
		return RG_PW_ERROR;
	if (a.lanes == 1 && a.saltlen == crypto_pwhash_SALTBYTES &&
	    (id || a.t >= crypto_pwhash_argon2i_OPSLIMIT_MIN)) {
		errno = 0;
		r = id ? crypto_pwhash_argon2id(out, a.hashlen, pw, len, a.salt, a.t,
						(size_t)a.m * 1024u, crypto_pwhash_argon2id_ALG_ARGON2ID13)
			: crypto_pwhash_argon2i(out, a.hashlen, pw, len, a.salt, a.t,
						(size_t)a.m * 1024u, crypto_pwhash_argon2i_ALG_ARGON2I13);
		if (r == 0) {
			res = sodium_memcmp(out, a.hash, a.hashlen) == 0 ? RG_PW_MATCH : RG_PW_MISMATCH;
		} else {
			*error_r = errno == ENOMEM ? "argon2 could not run: out of memory"
				: "argon2 could not run (out of memory?)";
			res = RG_PW_TEMPFAIL;
		}
		sodium_memzero(out, sizeof out);
	} else if (!memory_available((uint64_t)a.m * 1024u)) {
		*error_r = "argon2 could not run: out of memory";
		res = RG_PW_TEMPFAIL;
	} else {
		errno = 0;
		r = id ? crypto_pwhash_argon2id_str_verify(s, pw, len)
			: crypto_pwhash_argon2i_str_verify(s, pw, len);
		if (r == 0) {
			res = RG_PW_MATCH;
		} else if (errno == EINVAL && memory_available((uint64_t)a.m * 1024u)) {
			res = RG_PW_MISMATCH;	/* EINVAL: "mismatch", and the memory is there */
		} else {
			*error_r = "argon2 could not run: out of memory";
			res = RG_PW_TEMPFAIL;
		}
	}
	sodium_memzero(&a, sizeof a);
	return res;
}

/* ---- crypt(3) forms (libxcrypt crypt_rn) ------------------------------ */

/* "$7$" N(1) r(5) p(5) salt '$' hash(43) — libsodium and libxcrypt alike. */
struct scrypt_parsed {
	unsigned nlog2;
	uint32_t r, p;
	const char *salt, *hash;	/* into the hash text */
	size_t saltlen;
};

static int parse_scrypt(const char *s, struct scrypt_parsed *sc, const char **error_r)
{
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
	sc->nlog2 = (unsigned)nlog2;
	sc->r = (uint32_t)r;
	sc->p = (uint32_t)par;
	sc->salt = p;
	sc->saltlen = salt;
	sc->hash = p + salt + 1;
	return 0;
}

/* scrypt and yescrypt use 128*r*N bytes: within max_scrypt_memory_kib?
 * (In KiB that is r*N/8; nlog2 <= 31 and r < 2^32 keep r << nlog2 in range.) */
static bool scrypt_memory_ok(uint64_t r, unsigned nlog2, const struct rg_pw_params *params)
{
	uint64_t max_kib = limit(params->max_scrypt_memory_kib, RG_PW_MAX_SCRYPT_MEMORY_KIB);
	return nlog2 <= 31 && (r << nlog2) <= max_kib * 8;
}

int rg_pwf_check_scrypt(const struct rg_pwformat *f, const char *s,
			const struct rg_pw_params *params, const char **error_r)
{
	struct scrypt_parsed sc;

	(void)f;
	if (parse_scrypt(s, &sc, error_r) < 0)
		return -1;
	if (!scrypt_memory_ok(sc.r, sc.nlog2, params)) {
		*error_r = "stored hash exceeds limits: scrypt memory (128*r*N) above "
			"passwords.max_scrypt_memory_kib";
		return -1;
	}
	if (sc.p > limit(params->max_scrypt_parallelism, RG_PW_MAX_SCRYPT_PARALLELISM)) {
		*error_r = "stored hash exceeds limits: scrypt p above passwords.max_scrypt_parallelism";
		return -1;
	}
	return 0;
}

/* crypt64, least significant bits first, 3 bytes to 4 characters (the
 * encoding of libsodium's "$7$" hash); out gets (8*n+5)/6 characters and a NUL. */
static void crypt64_encode_le(char *out, const unsigned char *in, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= (uint32_t)in[i] << bits;
		bits += 8;
		while (bits >= 6) {
			*out++ = crypt64[acc & 0x3f];
			acc >>= 6;
			bits -= 6;
		}
	}
	if (bits > 0)
		*out++ = crypt64[acc & 0x3f];
	*out = '\0';
}

enum rg_pw_result rg_pwf_verify_scrypt(const struct rg_pwformat *f, const char *s,
				       const char *pw, size_t len, const char **error_r)
{
	struct scrypt_parsed sc;
	unsigned char key[32];
	char enc[44];
	enum rg_pw_result res;

	if (strlen(s) != crypto_pwhash_scryptsalsa208sha256_STRBYTES - 1)
		return rg_pwf_verify_crypt(f, s, pw, len, error_r);	/* libxcrypt form */
	/* libsodium's own form.  Its str_verify reports an allocation failure as a
	 * mismatch, so derive from the parsed parameters (the salt is the salt's
	 * text, as libsodium uses it) and compare the encoded result ourselves. */
	if (parse_scrypt(s, &sc, error_r) < 0)
		return RG_PW_ERROR;
	errno = 0;
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pw, len,
						  (const uint8_t *)sc.salt, sc.saltlen,
						  (uint64_t)1 << sc.nlog2, sc.r, sc.p,
						  key, sizeof key) != 0) {
		*error_r = errno == ENOMEM ? "scrypt could not run: out of memory"
			: "scrypt could not run (out of memory?)";
		res = RG_PW_TEMPFAIL;
	} else {
		crypt64_encode_le(enc, key, sizeof key);
		res = sodium_memcmp(enc, sc.hash, 43) == 0 ? RG_PW_MATCH : RG_PW_MISMATCH;
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(enc, sizeof enc);
	return res;
}

/* yescrypt's parameter numbers: the first character's value says how many
 * more characters follow (0..47: none; 48..55: one; 56..59: two; 60..61:
 * three; 62: four; 63: five), each range continuing where the one before
 * ended; the following characters are the low digits, most significant first.
 * Returns the text after the number, or NULL. */
static const char *yescrypt_number(const char *p, uint32_t min, uint32_t *out)
{
	static const struct { int first, last, more; } ranges[] = {
		{ 0, 47, 0 }, { 48, 55, 1 }, { 56, 59, 2 }, { 60, 61, 3 }, { 62, 62, 4 }, { 63, 63, 5 },
	};
	int c = crypt64_value(*p);
	uint64_t v = min;

	if (c < 0)
		return NULL;
	p++;
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		int more = ranges[i].more;
		if (c > ranges[i].last) {
			v += (uint64_t)(ranges[i].last - ranges[i].first + 1) << (6 * more);
			continue;
		}
		v += (uint64_t)(c - ranges[i].first) << (6 * more);
		while (more-- > 0) {
			int d = crypt64_value(*p++);
			if (d < 0)
				return NULL;
			v += (uint64_t)d << (6 * more);
		}
		if (v > UINT32_MAX)
			return NULL;
		*out = (uint32_t)v;
		return p;
	}
	return NULL;
}

int rg_pwf_check_yescrypt(const struct rg_pwformat *f, const char *s,
			  const struct rg_pw_params *params, const char **error_r)
{
	(void)f;
	const char *p = s + 3;
	size_t nparams = crypt64_span(p), salt;
	uint32_t flavor, nlog2, r, have = 0, par = 1, t = 0, g = 0, rom = 0;

	if (!starts(s, "$y$") || nparams < 1 || p[nparams] != '$' ||
	    (salt = crypt64_span(p + nparams + 1)) < 1 || p[nparams + 1 + salt] != '$' ||
	    strlen(p + nparams + salt + 2) != 43 || crypt64_span(p + nparams + salt + 2) != 43) {
		*error_r = "malformed yescrypt hash: expected '$y$<params>$<salt>$<43-char hash>'";
		return -1;
	}
	/* <flavor><log2 N><r>[<which optional ones follow><p><t><g><log2 NROM>] */
	if ((p = yescrypt_number(p, 0, &flavor)) == NULL || (p = yescrypt_number(p, 1, &nlog2)) == NULL ||
	    (p = yescrypt_number(p, 1, &r)) == NULL ||
	    (*p != '$' && (p = yescrypt_number(p, 1, &have)) == NULL) ||
	    ((have & 1) && (p = yescrypt_number(p, 2, &par)) == NULL) ||
	    ((have & 2) && (p = yescrypt_number(p, 1, &t)) == NULL) ||
	    ((have & 4) && (p = yescrypt_number(p, 1, &g)) == NULL) ||
	    ((have & 8) && (p = yescrypt_number(p, 1, &rom)) == NULL) || *p != '$' || have > 15) {
		*error_r = "malformed yescrypt hash: cannot read the parameters after '$y$'";
		return -1;
	}
	if (rom != 0) {
		*error_r = "yescrypt hash needs a ROM (NROM): not supported";
		return -1;
	}
	if (!scrypt_memory_ok(r, nlog2, params)) {
		*error_r = "stored hash exceeds limits: yescrypt memory (128*r*N) above "
			"passwords.max_scrypt_memory_kib";
		return -1;
	}
	uint32_t max_par = limit(params->max_scrypt_parallelism, RG_PW_MAX_SCRYPT_PARALLELISM);
	if (par > max_par || t > max_par) {
		*error_r = "stored hash exceeds limits: yescrypt p or t above "
			"passwords.max_scrypt_parallelism";
		return -1;
	}
	return 0;
}

int rg_pwf_check_bcrypt(const struct rg_pwformat *f, const char *s,
			const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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
int rg_pwf_check_shacrypt(const struct rg_pwformat *f, const char *s,
			  const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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

int rg_pwf_check_md5crypt(const struct rg_pwformat *f, const char *s,
			  const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
	(void)f;
	size_t salt = crypt64_span(s + 3);
	if (!starts(s, "$1$") || salt > 8 || s[3 + salt] != '$' || strlen(s + salt + 4) != 22 ||
	    crypt64_span(s + salt + 4) != 22) {
		*error_r = "malformed MD5-crypt hash: expected '$1$<salt>$<22-char hash>'";
		return -1;
	}
	return 0;
}

int rg_pwf_check_descrypt(const struct rg_pwformat *f, const char *s,
			  const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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
		errno = 0;
		const char *out = crypt_rn(phrase, s, cd, (int)sizeof *cd);
		size_t slen = strlen(s);
		if ((out == NULL || out[0] == '*') && (starts(s, "$y$") || starts(s, "$7$"))) {
			/* check() accepted the hash, so this is almost always the
			 * memory yescrypt/scrypt need (libxcrypt then says EINVAL, not
			 * ENOMEM): the verify could not run, which is no mismatch. */
			*error_r = errno == ENOMEM ? "crypt_rn could not run: out of memory"
				: "crypt_rn could not run the memory-hard hash (out of memory?)";
			res = RG_PW_TEMPFAIL;
		} else if (out == NULL || out[0] == '*') {
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

int rg_pwf_check_ssha(const struct rg_pwformat *f, const char *s,
		      const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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

int rg_pwf_check_pbkdf2_dovecot(const struct rg_pwformat *f, const char *s,
				const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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

int rg_pwf_check_pbkdf2_ab64(const struct rg_pwformat *f, const char *s,
			     const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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

int rg_pwf_check_plain(const struct rg_pwformat *f, const char *s,
		       const struct rg_pw_params *params, const char **error_r)
{
	(void)params;
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
