/*
 * bench_schemes.c — verify time per password scheme through rg_pwscheme_verify,
 * single thread, at default/typical parameters; and the cost of the dummy
 * verify (unknown user) next to a wrong-password verify (known user), which
 * must be equal within noise.
 *
 *   bench/bench_schemes [-t SECONDS_PER_SCHEME] [-n MAX_RUNS]
 *
 * Hashes are made here with the libraries' own generators (libsodium,
 * libxcrypt crypt_gensalt_rn/crypt_rn, OpenSSL), so each scheme runs at the
 * parameters its tools use by default.  Run by `make bench`.
 */
#include <autoconfig.h>
#include <pthread.h>

#include <crypt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "pwscheme.h"

static const char PW[] = "correct horse battery staple";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

/* ---- hash makers -------------------------------------------------------- */

static char *crypt_make(const char *prefix, unsigned long count)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof *cd);
	char *out = NULL;

	if (cd != NULL && crypt_gensalt_rn(prefix, count, NULL, 0, setting, sizeof setting) != NULL) {
		const char *h = crypt_rn(PW, setting, cd, (int)sizeof *cd);
		if (h != NULL && h[0] != '*')
			out = strdup(h);
	}
	free(cd);
	return out;
}

static char *argon2_make(unsigned long long t, size_t mem_bytes, const char *prefix)
{
	char h[crypto_pwhash_STRBYTES], *out;

	if (crypto_pwhash_str_alg(h, PW, strlen(PW), t, mem_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	if (asprintf(&out, "%s%s", prefix, h) < 0)
		return NULL;
	return out;
}

static char *scrypt_sodium_make(void)
{
	char h[crypto_pwhash_scryptsalsa208sha256_STRBYTES];

	if (crypto_pwhash_scryptsalsa208sha256_str(h, PW, strlen(PW),
			crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
			crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE) != 0)
		return NULL;
	return strdup(h);
}

static char *b64(const unsigned char *bin, size_t n, bool ab64)
{
	size_t len = sodium_base64_encoded_len(n, ab64 ? sodium_base64_VARIANT_ORIGINAL_NO_PADDING
					       : sodium_base64_VARIANT_ORIGINAL);
	char *s = malloc(len);
	if (s == NULL)
		return NULL;
	sodium_bin2base64(s, len, bin, n, ab64 ? sodium_base64_VARIANT_ORIGINAL_NO_PADDING
			  : sodium_base64_VARIANT_ORIGINAL);
	for (char *p = s; ab64 && *p; p++)
		if (*p == '+')
			*p = '.';
	return s;
}

static char *ssha512_make(void)
{
	unsigned char buf[64 + 8];
	unsigned int n;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *enc, *out = NULL;

	randombytes_buf(buf + 64, 8);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha512(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, PW, strlen(PW)) != 1 || EVP_DigestUpdate(ctx, buf + 64, 8) != 1 ||
	    EVP_DigestFinal_ex(ctx, buf, &n) != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	EVP_MD_CTX_free(ctx);
	if ((enc = b64(buf, sizeof buf, false)) != NULL && asprintf(&out, "{SSHA512}%s", enc) < 0)
		out = NULL;
	free(enc);
	return out;
}

static char *pbkdf2_dovecot_make(int rounds)
{
	unsigned char key[20];
	char hex[41], *out;
	const char *salt = "Zx8bQw2LmN4pR7tV";

	if (PKCS5_PBKDF2_HMAC(PW, (int)strlen(PW), (const unsigned char *)salt, (int)strlen(salt),
			      rounds, EVP_sha1(), 20, key) != 1)
		return NULL;
	sodium_bin2hex(hex, sizeof hex, key, sizeof key);
	return asprintf(&out, "{PBKDF2}$1$%s$%d$%s", salt, rounds, hex) < 0 ? NULL : out;
}

static char *pbkdf2_passlib_make(const char *name, const EVP_MD *md, int width, int rounds)
{
	unsigned char salt[16], key[64];
	char *s, *k, *out = NULL;

	randombytes_buf(salt, sizeof salt);
	if (PKCS5_PBKDF2_HMAC(PW, (int)strlen(PW), salt, sizeof salt, rounds, md, width, key) != 1)
		return NULL;
	s = b64(salt, sizeof salt, true);
	k = b64(key, (size_t)width, true);
	if (s != NULL && k != NULL && asprintf(&out, "$%s$%d$%s$%s", name, rounds, s, k) < 0)
		out = NULL;
	free(s);
	free(k);
	return out;
}

/* ---- measurement ---------------------------------------------------------- */

static double budget = 1.5;	/* seconds per scheme */
static int max_runs = 1000;
static int failures;

static void bench_one(const char *label, const char *params, char *hash)
{
	struct rg_pw_params p;
	const char *err = NULL;
	double t[1000];
	int n = 0;

	rg_pw_params_default(&p);
	p.allow_plaintext = true;
	if (hash == NULL) {
		printf("%-22s %-34s could not make a hash\n", label, params);
		failures++;
		return;
	}
	if (rg_pwscheme_verify(hash, PW, strlen(PW), &p, &err) != RG_PW_MATCH) {	/* warm-up */
		printf("%-22s %-34s VERIFY FAILED: %s\n", label, params, err ? err : "mismatch");
		failures++;
		free(hash);
		return;
	}
	double start = now();
	while (n < max_runs && (n < 5 || now() - start < budget)) {
		double a = now();
		enum rg_pw_result r = rg_pwscheme_verify(hash, PW, strlen(PW), &p, &err);
		t[n++] = now() - a;
		if (r != RG_PW_MATCH) {
			printf("%-22s VERIFY FAILED on run %d\n", label, n);
			failures++;
			break;
		}
	}
	double p10 = pct(t, n, 0.10), med = pct(t, n, 0.5), p90 = pct(t, n, 0.90);
	printf("%-22s %-34s %10.3f %10.3f %10.3f %10.1f %6d\n", label, params, med * 1e3, p10 * 1e3,
	       p90 * 1e3, 1.0 / med, n);
	free(hash);
}

/* Interleave dummy verifies and wrong-password verifies of a default hash. */
static int bench_dummy(void)
{
	struct rg_pw_params p;
	const char *err;
	enum { PAIRS = 40 };
	double dummy[PAIRS], wrong[PAIRS];
	char *h;

	rg_pw_params_default(&p);
	h = rg_pwscheme_hash(PW, strlen(PW), &p, &err);
	if (h == NULL) {
		printf("dummy: cannot hash: %s\n", err);
		return 1;
	}
	rg_pwscheme_dummy_verify("warm-up", 7, &p);	/* pays the one-time init */
	for (int i = 0; i < PAIRS; i++) {
		double a = now();
		if (rg_pwscheme_verify(h, "wrong password", 14, &p, &err) != RG_PW_MISMATCH)
			failures++;
		double b = now();
		rg_pwscheme_dummy_verify("wrong password", 14, &p);
		double c = now();
		wrong[i] = b - a;
		dummy[i] = c - b;
	}
	double mw = pct(wrong, PAIRS, 0.5), md = pct(dummy, PAIRS, 0.5);
	double ratio = md / mw;
	printf("\nunknown user vs wrong password (argon2id m=19456 t=2 p=1, %d interleaved pairs):\n",
	       PAIRS);
	printf("  wrong-password verify  median %8.3f ms  (p10 %.3f, p90 %.3f)\n", mw * 1e3,
	       pct(wrong, PAIRS, 0.1) * 1e3, pct(wrong, PAIRS, 0.9) * 1e3);
	printf("  dummy verify           median %8.3f ms  (p10 %.3f, p90 %.3f)\n", md * 1e3,
	       pct(dummy, PAIRS, 0.1) * 1e3, pct(dummy, PAIRS, 0.9) * 1e3);
	printf("  ratio dummy/wrong      %.3f  -> %s\n", ratio,
	       ratio > 0.9 && ratio < 1.1 ? "equal within noise"
	       : ratio > 0.67 && ratio < 1.5 ? "DIFFERENT (beyond 10%; noisy machine?)"
	       : "DIFFERENT: an unknown user is distinguishable by timing");
	printf("RATIO bench=schemes dummy/wrong=%.3f\n", ratio);
	free(h);
	return ratio > 0.67 && ratio < 1.5 ? 0 : 1;
}

/* -P N: the hashing limit of this machine for the default scheme: N threads
 * verifying Argon2id (m=19 MiB, t=2) at once, as relayguard's hashing pool
 * does.  Memory-hard hashes compete for memory bandwidth, so this is below
 * N / single-thread time; the auth benchmark compares its uncached rate to it. */
struct par_arg {
	const char *hash;
	double until;
	long done;
};

static void *par_worker(void *arg)
{
	struct par_arg *a = arg;
	struct rg_pw_params pp;
	const char *err;

	rg_pw_params_default(&pp);
	while (now() < a->until) {
		if (rg_pwscheme_verify(a->hash, "correct horse battery staple", 28, &pp, &err)
		    != RG_PW_MATCH)
			return NULL;
		a->done++;
	}
	return NULL;
}

static int bench_parallel(int threads, double seconds)
{
	char *h = argon2_make(2, 19456u * 1024, "");
	struct par_arg args[64];
	pthread_t tids[64];
	long total = 0;
	double t0;

	if (h == NULL || threads < 1 || threads > 64)
		return 1;
	t0 = now();
	for (int i = 0; i < threads; i++) {
		args[i] = (struct par_arg){ .hash = h, .until = t0 + seconds, .done = 0 };
		pthread_create(&tids[i], NULL, par_worker, &args[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(tids[i], NULL);
		total += args[i].done;
	}
	printf("parallel_verifies_per_s=%.1f threads=%d scheme=argon2id m=19456 t=2 p=1\n",
	       (double)total / (now() - t0), threads);
	free(h);
	return 0;
}

int main(int argc, char **argv)
{
	int c, parallel = 0;

	while ((c = getopt(argc, argv, "t:n:P:")) != -1) {
		switch (c) {
		case 't': budget = atof(optarg); break;
		case 'n': max_runs = atoi(optarg); break;
		case 'P': parallel = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-t seconds-per-scheme] [-n max-runs] [-P threads]\n", argv[0]);
			return 2;
		}
	}
	if (max_runs < 5)
		max_runs = 5;
	if (max_runs > 1000)
		max_runs = 1000;
	if (sodium_init() < 0)
		return 1;
	if (parallel > 0)
		return bench_parallel(parallel, budget > 0 ? budget * 2 : 3.0);

	printf("bench_schemes: rg_pwscheme_verify, single thread, correct password; %ld CPUs online\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-22s %-34s %10s %10s %10s %10s %6s\n", "scheme", "parameters", "median ms",
	       "p10 ms", "p90 ms", "ops/s", "runs");
	bench_one("argon2id (default)", "m=19456 KiB t=2 p=1 (OWASP min)",
		  argon2_make(2, 19456u * 1024, ""));
	bench_one("argon2id INTERACTIVE", "libsodium: m=65536 KiB t=2 p=1",
		  argon2_make(crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, ""));
	bench_one("{ARGON2ID} dovecot", "doveadm default: m=65536 t=3 p=1",
		  argon2_make(3, 65536u * 1024, "{ARGON2ID}"));
	bench_one("yescrypt", "libxcrypt default ($y$j9T)", crypt_make("$y$", 0));
	bench_one("bcrypt", "$2b$ cost 10", crypt_make("$2b$", 10));
	bench_one("bcrypt", "$2b$ cost 12", crypt_make("$2b$", 12));
	bench_one("sha512crypt", "$6$ 5000 rounds", crypt_make("$6$", 0));
	bench_one("sha256crypt", "$5$ 5000 rounds", crypt_make("$5$", 0));
	bench_one("scrypt (libsodium)", "$7$ INTERACTIVE N=2^14 r=8 p=1", scrypt_sodium_make());
	bench_one("scrypt (libxcrypt)", "$7$ default N=2^14 r=32 p=1", crypt_make("$7$", 0));
	bench_one("SSHA512", "{SSHA512} 8-byte salt", ssha512_make());
	bench_one("PBKDF2 (dovecot)", "{PBKDF2} SHA1 5000 rounds", pbkdf2_dovecot_make(5000));
	bench_one("pbkdf2-sha256", "passlib default 29000 rounds",
		  pbkdf2_passlib_make("pbkdf2-sha256", EVP_sha256(), 32, 29000));
	bench_one("pbkdf2-sha512", "passlib default 25000 rounds",
		  pbkdf2_passlib_make("pbkdf2-sha512", EVP_sha512(), 64, 25000));
	bench_one("PLAIN", "{PLAIN} (allow_plaintext; BLAKE2b)", strdup("{PLAIN}" "correct horse battery staple"));

	int timing = bench_dummy();
	if (failures)
		printf("\n%d FAILURE(S)\n", failures);
	return failures ? 1 : timing;
}
