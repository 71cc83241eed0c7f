/*
 * pwscheme.h — password schemes as a table (Dovecot style).
 *
 * Stored hashes are recognised by prefix: "$argon2id$", "$argon2i$", "$7$"
 * (libsodium); "$y$", "$2b$", "$2y$", "$2a$", "$6$", "$5$" (libxcrypt
 * crypt_rn, reentrant); "{SSHA256}", "{SSHA512}", "{PBKDF2-SHA256}" /
 * "{PBKDF2-SHA512}" (OpenSSL); Dovecot "{SCHEME}" prefixes as aliases
 * ("{ARGON2ID}$argon2id$...", "{BLF-CRYPT}$2y$...", "{SHA512-CRYPT}$6$...",
 * "{CRYPT}..."); "{PLAIN}"/"{CLEARTEXT}" only when allow_plaintext.
 * Also "$pbkdf2-sha256$"/"$pbkdf2-sha512$"/"$pbkdf2$" (passlib), Dovecot's
 * "{PBKDF2}$1$salt$rounds$hex" (SHA1) and "{SCRYPT}$7$...".  MD5-crypt ("$1$",
 * "{MD5-CRYPT}") and DES crypt ("{CRYPT}" + 13 chars) are refused unless
 * allow_plaintext, and are then weak like plaintext.  Argon2 v=19 only (any p).
 * The exact list and the decisions are in pwscheme.c.
 *
 * Every comparison is constant time.  The functions never log.
 *
 * A verify that could not run (out of memory: libsodium's own str_verify
 * calls report that as a mismatch, so relayguard derives and compares itself)
 * is RG_PW_TEMPFAIL, never a mismatch.  Stored hashes whose parameters exceed
 * the max_* limits below are refused by rg_pwscheme_check and never run by
 * rg_pwscheme_verify ("stored hash exceeds limits").
 */
#ifndef RG_PWSCHEME_H
#define RG_PWSCHEME_H

#include <stdbool.h>
#include <stddef.h>

/* The same convention as the stores' lookups (enum rg_lookup): a positive
 * answer is 1, a negative one 0, trouble below 0. */
enum rg_pw_result {
	RG_PW_MATCH = 1,
	RG_PW_MISMATCH = 0,
	RG_PW_ERROR = -1,	/* malformed/unknown/over-limit hash: never a match */
	RG_PW_TEMPFAIL = -2,	/* the verify could not run (out of memory, ...): nothing is
				 * known about the password; try again later */
};

struct rg_pw_params {
	bool allow_plaintext;
	unsigned argon2_memory_kib;	/* generation: default 19456 (19 MiB) */
	unsigned argon2_iterations;	/* generation: default 2 */
	/* Limits for stored hashes (0 = the default).  Memory as the scheme
	 * allocates it: Argon2 m; scrypt and yescrypt 128*r*N. */
	unsigned max_argon2_memory_kib;	/* default 262144 (256 MiB, libsodium MODERATE) */
	unsigned max_argon2_iterations;	/* default 10 */
	unsigned max_scrypt_memory_kib;	/* default 262144 */
	unsigned max_scrypt_parallelism;	/* default 16: scrypt/yescrypt p, yescrypt t */
};

#define RG_PW_MAX_ARGON2_MEMORY_KIB 262144u
#define RG_PW_MAX_ARGON2_ITERATIONS 10u
#define RG_PW_MAX_SCRYPT_MEMORY_KIB 262144u
#define RG_PW_MAX_SCRYPT_PARALLELISM 16u

/* Defaults: no plaintext, Argon2id m=19 MiB t=2 p=1, the limits above. */
void rg_pw_params_default(struct rg_pw_params *p);

/* Check at load time that `stored` is a well-formed hash of a known scheme
 * allowed by params.  Returns 0, or -1 with *error_r (static text). */
int rg_pwscheme_check(const char *stored, const struct rg_pw_params *params,
		      const char **error_r);

/* Scheme name of a stored hash ("ARGON2ID", "SHA512-CRYPT", ...), or NULL if unknown. */
const char *rg_pwscheme_name(const char *stored);

/* True when the scheme is weak (plaintext, MD5-crypt, DES crypt): callers log it. */
bool rg_pwscheme_is_weak(const char *stored);

/* Verify password against stored.  Constant-time compare; thread-safe.
 * RG_PW_MATCH, RG_PW_MISMATCH, RG_PW_ERROR (hash unusable: malformed, refused,
 * over the limits) or RG_PW_TEMPFAIL (could not run), with *error_r. */
enum rg_pw_result rg_pwscheme_verify(const char *stored, const char *password, size_t password_len,
				     const struct rg_pw_params *params, const char **error_r);

/* True when stored is an Argon2id hash with the generation parameters of
 * params (one lane): it costs what rg_pwscheme_dummy_verify costs. */
bool rg_pwscheme_costs_as_dummy(const char *stored, const struct rg_pw_params *params);

/* Burn the time of one verify of the default scheme (unknown users). */
void rg_pwscheme_dummy_verify(const char *password, size_t password_len,
			      const struct rg_pw_params *params);

/* Hash password with the default scheme (Argon2id).  Returns malloc'd
 * "$argon2id$..." or NULL with *error_r. */
char *rg_pwscheme_hash(const char *password, size_t password_len,
		       const struct rg_pw_params *params, const char **error_r);

#endif
