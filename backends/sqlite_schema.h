/*
 * sqlite_schema.h — the SQLite store's default schema, in one place:
 * `relayguardctl db init` creates it, and the unit tests create their
 * databases with it (the shell tests and benches run `relayguardctl db init`).
 */
#ifndef RG_SQLITE_SCHEMA_H
#define RG_SQLITE_SCHEMA_H

/* SQL statements (CREATE TABLE IF NOT EXISTS ...) for sqlite3_exec(): the
 * tables users, act_as, tenants and tenant_authz that the store's default
 * queries read. */
extern const char rg_sqlite_schema_sql[];

/* The same tables for PostgreSQL (relayguardctl db init on a postgresql
 * store): tenant names unique and compared by lower(). */
extern const char rg_pgsql_schema_sql[];

#endif
