/*
 * sqlite_schema.c — the SQLite store's default schema (see sqlite_schema.h).
 * Keys keep grants unique; tenant names compare case-insensitively, as in
 * the config.
 */
#include <autoconfig.h>

#include "sqlite_schema.h"

const char rg_sqlite_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS users(\n"
	"  name TEXT PRIMARY KEY NOT NULL,\n"
	"  password TEXT NOT NULL,\n"
	"  enabled INTEGER NOT NULL DEFAULT 1);\n"
	"CREATE TABLE IF NOT EXISTS act_as(\n"
	"  identity TEXT NOT NULL,\n"
	"  as_identity TEXT NOT NULL,\n"
	"  PRIMARY KEY(identity, as_identity));\n"
	"CREATE TABLE IF NOT EXISTS tenants(\n"
	"  name TEXT PRIMARY KEY NOT NULL COLLATE NOCASE);\n"
	"CREATE TABLE IF NOT EXISTS tenant_authz(\n"
	"  tenant TEXT NOT NULL COLLATE NOCASE,\n"
	"  identity TEXT NOT NULL,\n"
	"  PRIMARY KEY(tenant, identity));\n"
	/* sender grants (user@domain, @domain, *), stored normalized: added in
	 * 0.2; db init adds it to an older database */
	"CREATE TABLE IF NOT EXISTS senders(\n"
	"  identity TEXT NOT NULL,\n"
	"  address TEXT NOT NULL,\n"
	"  PRIMARY KEY(identity, address));\n"
	"CREATE INDEX IF NOT EXISTS senders_address ON senders(address);\n"
	/* a tenant's From:/envelope domains (domain, or *.parent): 0.2 */
	"CREATE TABLE IF NOT EXISTS tenant_domains(\n"
	"  tenant TEXT NOT NULL COLLATE NOCASE,\n"
	"  domain TEXT NOT NULL,\n"
	"  PRIMARY KEY(tenant, domain));\n"
	/* tenants.missing = from_domain looks tenants up by domain */
	"CREATE INDEX IF NOT EXISTS tenant_domains_domain ON tenant_domains(domain);\n";

const char rg_pgsql_schema_sql[] =
	"CREATE TABLE IF NOT EXISTS users(\n"
	"  name text PRIMARY KEY,\n"
	"  password text NOT NULL,\n"
	"  enabled integer NOT NULL DEFAULT 1);\n"
	"CREATE TABLE IF NOT EXISTS act_as(\n"
	"  identity text NOT NULL,\n"
	"  as_identity text NOT NULL,\n"
	"  PRIMARY KEY(identity, as_identity));\n"
	"CREATE TABLE IF NOT EXISTS tenants(\n"
	"  name text NOT NULL);\n"
	"CREATE UNIQUE INDEX IF NOT EXISTS tenants_name ON tenants(lower(name));\n"
	"CREATE TABLE IF NOT EXISTS tenant_authz(\n"
	"  tenant text NOT NULL,\n"
	"  identity text NOT NULL);\n"
	"CREATE UNIQUE INDEX IF NOT EXISTS tenant_authz_key ON tenant_authz(lower(tenant), identity);\n"
	"CREATE TABLE IF NOT EXISTS senders(\n"
	"  identity text NOT NULL,\n"
	"  address text NOT NULL,\n"
	"  PRIMARY KEY(identity, address));\n"
	"CREATE INDEX IF NOT EXISTS senders_address ON senders(address);\n"
	"CREATE TABLE IF NOT EXISTS tenant_domains(\n"
	"  tenant text NOT NULL,\n"
	"  domain text NOT NULL);\n"
	"CREATE UNIQUE INDEX IF NOT EXISTS tenant_domains_key ON tenant_domains(lower(tenant), domain);\n"
	"CREATE INDEX IF NOT EXISTS tenant_domains_domain ON tenant_domains(domain);\n";
