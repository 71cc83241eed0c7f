/*
 * pwscheme_formats.h — internal to pwscheme.c: one entry per hash encoding.
 *
 * check() validates the text a format reads (well-formedness, and the cost
 * parameters against the limits in params; cheap: it runs for every stored
 * hash at load time).  verify() assumes check() passed and returns
 * RG_PW_MATCH, RG_PW_MISMATCH, RG_PW_ERROR or RG_PW_TEMPFAIL (could not run).
 * Error texts are static.
 */
#ifndef RG_PWSCHEME_FORMATS_H
#define RG_PWSCHEME_FORMATS_H

#include <stdbool.h>
#include <stddef.h>

#include "pwscheme.h"

struct rg_pwformat;
typedef int rg_pwf_check_fn(const struct rg_pwformat *f, const char *s,
			    const struct rg_pw_params *params, const char **error_r);
typedef enum rg_pw_result rg_pwf_verify_fn(const struct rg_pwformat *f, const char *s,
					   const char *password, size_t password_len,
					   const char **error_r);

struct rg_pwformat {
	const char *name;	/* "SHA512-CRYPT" */
	bool weak;		/* accepted only with allow_plaintext */
	rg_pwf_check_fn *check;
	rg_pwf_verify_fn *verify;
	const char *arg;	/* crypt marker ("$6$") or digest name ("SHA256") */
	unsigned width;		/* crypt: hash characters; digests: bytes */
};

rg_pwf_check_fn rg_pwf_check_argon2, rg_pwf_check_scrypt, rg_pwf_check_yescrypt,
	rg_pwf_check_bcrypt, rg_pwf_check_shacrypt, rg_pwf_check_md5crypt,
	rg_pwf_check_descrypt, rg_pwf_check_ssha, rg_pwf_check_pbkdf2_dovecot,
	rg_pwf_check_pbkdf2_ab64, rg_pwf_check_plain;
rg_pwf_verify_fn rg_pwf_verify_argon2, rg_pwf_verify_scrypt, rg_pwf_verify_crypt,
	rg_pwf_verify_ssha, rg_pwf_verify_pbkdf2_dovecot, rg_pwf_verify_pbkdf2_ab64,
	rg_pwf_verify_plain;

#endif
