-- rules.lua — each MAIL FROM rule and each tenant rule, one connection per case.
dofile(srcdir .. "/t/milter/lib.lua")

local c

-- negotiation: only the header actions this config needs (none here)
c = connect("smtpd", "TLSv1.3")
check(not mt.test_action(c, SMFIF_ADDHDRS) and not mt.test_action(c, SMFIF_CHGHDRS),
	"no header-change actions requested when the config changes no headers")
check(mt.test_option(c, SMFIP_NOBODY), "body not requested")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "AUTH over TLSv1.3, enabled user")
headers(c, { { "From", "alice@relayguard.test" }, { "X-Tenant", "acme" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "authorized tenant")
mt.disconnect(c)

-- AUTH without TLS
c = connect("smtpd", nil)
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "auth_without_tls", "530 5.7.0", "AUTH without TLS")
mt.disconnect(c)

-- TLS below min_tls_version
c = connect("smtpd", "TLSv1.1")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "auth_tls_too_weak", "530 5.7.0", "AUTH over TLSv1.1")
mt.disconnect(c)

-- a TLS version that does not exist is not "better than TLSv1.3"
for _, v in ipairs({ "TLSv1.4", "TLSv1.9" }) do
	c = connect("smtpd", v)
	mail(c, "alice@relayguard.test", "alice")
	expect(c, SMFIR_REPLYCODE, "auth_tls_too_weak", "530 5.7.0", "AUTH over unknown " .. v)
	mt.disconnect(c)
end

-- a NULL cipher ({cipher_bits} = 0) or a weak one is no protection
local function tls_bits(bits, r, reason, what)
	c = mt.connect(socket, 50, 0.1)
	if c == nil then fatal("mt.connect failed") end
	mt.macro(c, SMFIC_CONNECT, "j", "mx.relayguard.test", "{daemon_name}", "smtpd")
	if mt.conninfo(c, "client.example", "192.0.2.7") ~= nil then fatal("mt.conninfo failed") end
	mt.macro(c, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "NULL-SHA256",
		"{cipher_bits}", bits)
	if mt.helo(c, "client.example") ~= nil then fatal("mt.helo failed") end
	mail(c, "alice@relayguard.test", "alice")
	expect(c, r, reason, reason and "530 5.7.0" or nil, what)
	mt.disconnect(c)
end
tls_bits("0", SMFIR_REPLYCODE, "auth_tls_too_weak", "TLSv1.3 with {cipher_bits}=0 (NULL cipher)")
tls_bits("56", SMFIR_REPLYCODE, "auth_tls_too_weak", "TLSv1.3 with a 56-bit cipher")
tls_bits("128", SMFIR_CONTINUE, nil, "TLSv1.3 with a 128-bit cipher")

-- re-EHLO after STARTTLS: first EHLO plain, second with TLS macros
c = connect("smtpd", nil)
ehlo(c, "TLSv1.2")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "TLS learnt from the EHLO after STARTTLS")
mt.disconnect(c)

-- TLS macros only at MAIL (client skipped the second EHLO)
c = connect("smtpd", nil)
mail(c, "alice@relayguard.test", "alice", false,
	{ "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_128_GCM_SHA256" })
expect(c, SMFIR_CONTINUE, nil, nil, "TLS macros at MAIL stage count")
mt.disconnect(c)

-- listener that requires AUTH
c = connect("submission", "TLSv1.3")
mail(c, "someone@relayguard.test", nil)
expect(c, SMFIR_REPLYCODE, "auth_required", "530 5.7.0 Authentication required",
	"submission without AUTH")
mt.disconnect(c)

c = connect("smtpd", "TLSv1.3")
mail(c, "someone@example.net", nil)
expect(c, SMFIR_CONTINUE, nil, nil, "port-25 listener without AUTH")
headers(c, { { "Subject", "inbound" } })
expect(c, SMFIR_ACCEPT, "no_tenant_header", nil, "no tenant header, missing=accept")
mt.disconnect(c)

-- connect macros missing while require_auth is configured
c = connect(nil, "TLSv1.3")
mail(c, "someone@example.net", nil)
expect(c, SMFIR_REPLYCODE, "connect_macros_missing", "451 4.7.1",
	"no {daemon_name}: tempfail")
mt.disconnect(c)

-- identities
c = connect("submission", "TLSv1.3")
mail(c, "bob@relayguard.test", "bob")
expect(c, SMFIR_REPLYCODE, "identity_disabled", "550 5.7.1", "disabled identity")
mail(c, "mallory@relayguard.test", "mallory")
expect(c, SMFIR_REPLYCODE, "identity_unknown", "550 5.7.1", "unknown identity")
mt.disconnect(c)

-- the null sender gets every check
c = connect("submission", "TLSv1.3")
mail(c, "", "bob")
expect(c, SMFIR_REPLYCODE, "identity_disabled", "550 5.7.1", "null sender, disabled identity")
mt.disconnect(c)
c = connect("submission", nil)
mail(c, "", "alice")
expect(c, SMFIR_REPLYCODE, "auth_without_tls", "530 5.7.0", "null sender, AUTH without TLS")
mt.disconnect(c)
c = connect("submission", "TLSv1.3")
mail(c, "", nil)
expect(c, SMFIR_REPLYCODE, "auth_required", "530 5.7.0", "null sender on submission without AUTH")
mt.disconnect(c)
c = connect("submission", "TLSv1.3")
mail(c, "", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "null sender, authenticated")
headers(c, { { "X-Tenant", "acme" } })
expect(c, SMFIR_REPLYCODE, "tenant_not_authorized", "550 5.7.1",
	"null sender, unauthorized tenant")
mt.disconnect(c)

-- MAIL macros never arrive: tempfail, logged once per connection
c = connect("smtpd", "TLSv1.3")
mail(c, "alice@relayguard.test", nil, true)
expect(c, SMFIR_REPLYCODE, "mail_macros_missing", "451 4.7.1", "no MAIL macros (1st)")
mail(c, "alice@relayguard.test", nil, true)
local t = mt.getreply(c)
local text = log_new()
local _, n = text:gsub("sends no MAIL FROM macros", "")
check(t == SMFIR_REPLYCODE and text:find("reason=mail_macros_missing", 1, true) ~= nil,
	"no MAIL macros (2nd): tempfail again")
check(n == 0, "configuration hint not repeated on the same connection", text)
mt.disconnect(c)

-- tenant rules
local function tenant_case(user, hdrs, reply, reason, code, what)
	local cc = connect("submission", "TLSv1.3")
	mail(cc, (user or "anon") .. "@relayguard.test", user)
	if mt.getreply(cc) ~= SMFIR_CONTINUE then
		check(false, what .. ": MAIL accepted first")
		mt.disconnect(cc)
		return
	end
	log_new()
	headers(cc, hdrs)
	expect(cc, reply, reason, code, what)
	mt.disconnect(cc)
end

tenant_case("erin", { { "X-Tenant", "acme" } }, SMFIR_REPLYCODE,
	"tenant_not_authorized", "550 5.7.1 Sender is not authorized for tenant acme",
	"unauthorized tenant (config)")
tenant_case("erin", { { "X-Tenant", "globex" } }, SMFIR_ACCEPT, "tenant_authorized", nil,
	"authorized tenant (config)")
tenant_case("erin", { { "X-Tenant", "dbtenant" } }, SMFIR_ACCEPT, "tenant_authorized", nil,
	"authorized tenant (SQLite grant)")
tenant_case("alice", { { "x-tenant", "DBTENANT" } }, SMFIR_REPLYCODE, "tenant_not_authorized",
	"550 5.7.1", "unauthorized tenant (SQLite), header name and value case-insensitive")
tenant_case("alice", { { "X-Tenant", "initech" } }, SMFIR_REPLYCODE, "tenant_unknown",
	"550 5.7.1", "unknown tenant")

-- header on an unauthenticated session (port-25 listener)
c = connect("smtpd", "TLSv1.3")
mail(c, "someone@example.net", nil)
log_new()
headers(c, { { "X-Tenant", "acme" } })
expect(c, SMFIR_REPLYCODE, "tenant_header_unauthenticated", "550 5.7.1",
	"tenant header without AUTH")
mt.disconnect(c)

finish()
