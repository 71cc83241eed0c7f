/*
 * config_keys.h — the one table that declares every configuration key.
 *
 * Each group (top level, milter, auth, auth.cache, passwords, tenants) and
 * each kind of list entry (stores[], stores[].users[], tenants.list[]) is a
 * table of struct rg_key.  The loader (config.c) walks the libconfig tree
 * with these tables, applies defaults from them, frees snapshots with them,
 * and rg_config_print_keys() prints them for relayguard.conf(5).
 */
#ifndef RG_CONFIG_KEYS_H
#define RG_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

enum rg_key_type {
	RG_KEY_BOOL,		/* bool */
	RG_KEY_INT,		/* int, min..max */
	RG_KEY_STRING,		/* char *; check() may validate */
	RG_KEY_STRLIST,		/* char ** + size_t count */
	RG_KEY_ENUM,		/* one of values[] → int */
	RG_KEY_FLAGS,		/* list of values[] → unsigned bit mask (OR of value) */
	RG_KEY_MODE,		/* octal string "0660" → unsigned, min..max */
	RG_KEY_GROUP,		/* nested group stored inside the same struct */
	RG_KEY_GROUP_LIST,	/* ( {..}, {..} ) → array of elem_size structs + size_t count */
};

struct rg_key_value {
	const char *name;
	int value;
};

/* flags */
#define RG_KF_REQUIRED	0x01u	/* must be given (where applicable, see types) */
#define RG_KF_NONEMPTY	0x02u	/* string must not be "" */
#define RG_KF_PRESENT	0x04u	/* set the bool at present_offset when the key is given */
#define RG_KF_SELECTOR	0x08u	/* enum choosing which keys of this table apply (store type) */

struct rg_key_table;

struct rg_key {
	const char *name;		/* last path component */
	enum rg_key_type type;
	unsigned flags;
	long long def_int;		/* default: bool, int, enum, flags, mode */
	const char *def_str;		/* default: string (NULL = unset) */
	long long min, max;		/* int, mode */
	const struct rg_key_value *values; /* enum, flags; ends with {NULL, 0} */
	/* extra validation for strings and list items; returns NULL or a reason */
	const char *(*check)(const char *value);
	size_t offset;			/* into the struct the table describes */
	size_t count_offset;		/* STRLIST, GROUP_LIST: size_t count */
	size_t present_offset;		/* RG_KF_PRESENT: bool */
	unsigned types;			/* in a table with a SELECTOR: bit (1 << value) of the
					 * selector values the key applies to; 0 = all */
	const struct rg_key_table *sub;	/* GROUP, GROUP_LIST */
	const char *desc;
};

struct rg_key_table {
	const char *path;		/* "", "milter", "auth.cache", "stores[]", ... */
	const struct rg_key *keys;
	size_t n_keys;
	size_t elem_size;		/* list entries: sizeof the element struct */
	size_t line_offset;		/* list entries: offset of the element's int line */
	size_t name_offset;		/* list entries: offset of char *name, or (size_t)-1 */
};

/* The top-level table (everything hangs off it). */
extern const struct rg_key_table rg_config_root_keys;

/* Validators used by the table, also useful elsewhere. Return NULL when fine,
 * else a static reason. */
const char *rg_check_milter_socket(const char *spec);	/* unix:/p, local:/p, inet:PORT@HOST, inet6:... */
const char *rg_check_auth_socket(const char *spec);	/* "", /path or unix:/path */
const char *rg_check_metrics_listen(const char *spec);	/* "", /path, unix:/path, loopback HOST:PORT */
const char *rg_check_path(const char *path);		/* absolute or relative path, no NUL tricks */
const char *rg_check_header_name(const char *name);	/* RFC 5322 field name */
const char *rg_check_opt_header_name(const char *name);	/* "" or a field name */
const char *rg_check_rate(const char *v);		/* "N/DURATION": 100/1h */
const char *rg_check_opt_rate(const char *v);		/* "" or a rate */
/* Parse "N/DURATION" (units s, m, h, d; at most 31 days): N and seconds. */
bool rg_parse_rate(const char *v, unsigned long *n_r, unsigned long *window_r);
const char *rg_check_facility(const char *name);
const char *rg_check_identity(const char *name);	/* user / identity names */
const char *rg_check_delimiter(const char *d);	/* senders.recipient_delimiter */
const char *rg_check_token(const char *name);		/* printable, no spaces */

#endif
