-- senders.lua — sender ownership through the daemon (run after the reload
-- into the senders config: check_envelope, check_from, check_sender_header,
-- unauthenticated = reject_owned).  Grants: the SQLite store gives alice
-- alice@relayguard.test and @sales.relayguard.test, erin *; the static store
-- after it gives alice alice@static.example (the answer is the union).
dofile(srcdir .. "/t/milter/lib.lua")

local c

local function msg(sender, user, hdrs, r_mail, reason_mail, reply_mail, r_eoh, reason_eoh,
		   reply_eoh, what)
	c = connect("smtpd", "TLSv1.3")
	mail(c, sender, user)
	expect(c, r_mail, reason_mail, reply_mail, what .. " (MAIL FROM)")
	if r_mail == SMFIR_CONTINUE and hdrs then
		headers(c, hdrs)
		expect(c, r_eoh, reason_eoh, reply_eoh, what .. " (end of headers)")
	end
	mt.disconnect(c)
end

local own = { { "From", "Alice <alice@relayguard.test>" } }
msg("alice@relayguard.test", "alice", own, SMFIR_CONTINUE, nil, nil, SMFIR_ACCEPT, nil, nil,
	"alice: her own envelope sender and From")
msg("ceo@globex.example", "alice", own, SMFIR_REPLYCODE, "sender_not_owned",
	"553 5.7.1 <ceo@globex.example>: Sender address rejected: not owned by user alice",
	nil, nil, nil, "alice: a foreign envelope sender")
msg("Alice@relayguard.test", "alice", own, SMFIR_REPLYCODE, "sender_not_owned", "553 5.7.1",
	nil, nil, nil, "alice: her local part in another case")
msg("alice+lists@RELAYGUARD.test", "alice", own, SMFIR_CONTINUE, nil, nil, SMFIR_ACCEPT, nil,
	nil, "alice: an extension, the domain in capitals")
msg("anyone@sales.relayguard.test", "alice", own, SMFIR_CONTINUE, nil, nil, SMFIR_ACCEPT, nil,
	nil, "alice: an @domain grant")
msg("alice@static.example", "alice", { { "From", "alice@static.example" } }, SMFIR_CONTINUE,
	nil, nil, SMFIR_ACCEPT, nil, nil, "alice: the second store's grant (union)")
msg("ceo@globex.example", "erin", { { "From", "ceo@globex.example" } }, SMFIR_CONTINUE, nil,
	nil, SMFIR_ACCEPT, nil, nil, "erin holds *")

-- From: forms
msg("", "alice", { { "From", "ceo@globex.example" } }, SMFIR_CONTINUE, nil, nil,
	SMFIR_REPLYCODE, "from_not_owned",
	"550 5.7.1 From: address <ceo@globex.example> not owned by user alice",
	"null sender with a foreign From")
msg("alice@relayguard.test", "alice", { { "From", "alice@relayguard.test" },
	{ "From", "ceo@globex.example" } }, SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE,
	"from_repeated", "550 5.6.0", "two From: fields")
msg("alice@relayguard.test", "alice",
	{ { "From", "Team: alice@relayguard.test, ceo@globex.example;" } }, SMFIR_CONTINUE, nil,
	nil, SMFIR_REPLYCODE, "from_multiple", "550 5.6.0", "group syntax with two mailboxes")
msg("alice@relayguard.test", "alice", { { "Subject", "no From" } }, SMFIR_CONTINUE, nil, nil,
	SMFIR_REPLYCODE, "from_missing", "550 5.6.0", "missing From:")
msg("alice@relayguard.test", "alice", { { "From", "\"ceo@globex.example\" <alice@relayguard.test>" } },
	SMFIR_CONTINUE, nil, nil, SMFIR_ACCEPT, nil, nil,
	"\"ceo@victim\" <me@mine>: allowed (the address is hers)")
local f = io.open(log, "r")
local all = f and f:read("*a") or ""
if f then f:close() end
check(all:find("display name holds an address-like '@' (address used: alice@relayguard.test)",
	1, true) ~= nil, "... and logged")
msg("alice@relayguard.test", "alice", { { "From", "<ceo@globex.example>" },
	{ "Sender", "alice@relayguard.test" } }, SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE,
	"from_not_owned", "550 5.7.1", "<ceo@victim> with an owned Sender:")
msg("alice@relayguard.test", "alice", { { "From", "alice@relayguard.test" },
	{ "Sender", "ceo@globex.example" } }, SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE,
	"sender_header_not_owned", "550 5.7.1", "an owned From: with a foreign Sender:")
msg("alice@relayguard.test", "alice",
	{ { "From", "=?utf-8?q?alice=40relayguard.test?= <ceo@globex.example>" } }, SMFIR_CONTINUE,
	nil, nil, SMFIR_REPLYCODE, "from_not_owned", "550 5.7.1",
	"an encoded-word display name is never the address")
msg("alice@relayguard.test", "alice", { { "From", "<@relay.example:ceo@globex.example>" } },
	SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE, "from_malformed", "550 5.6.0",
	"an obsolete route in From:")

-- a tenant's domains (dbtenant in SQLite: db.example, *.db.example)
-- (this config edits the tenant headers: an accepted tenant is decided at
-- end of headers and applied at end of message)
c = connect("smtpd", "TLSv1.3")
mail(c, "erin@db.example", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "tenant dbtenant, From: a subdomain of its domain (MAIL FROM)")
headers(c, { { "From", "erin@mail.db.example" }, { "X-Tenant", "dbtenant" } })
expect(c, SMFIR_CONTINUE, nil, nil, "... end of headers: decided, edits pending")
eom(c)
expect(c, SMFIR_CONTINUE, "tenant_authorized", nil, "... end of message: passes")
mt.disconnect(c)
msg("erin@db.example", "erin", { { "From", "ceo@globex.example" }, { "X-Tenant", "dbtenant" } },
	SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE, "tenant_domain_not_allowed",
	"550 5.7.1 From: domain globex.example is not a domain of tenant dbtenant",
	"tenant dbtenant, From: a domain not its own")
msg("erin@globex.example", "erin", { { "From", "erin@db.example" }, { "X-Tenant", "dbtenant" } },
	SMFIR_CONTINUE, nil, nil, SMFIR_REPLYCODE, "tenant_domain_not_allowed",
	"550 5.7.1 Envelope sender domain globex.example is not a domain of tenant dbtenant",
	"tenant dbtenant, envelope sender a domain not its own")

-- unauthenticated sessions: an address somebody holds needs a login
c = connect("smtpd", nil)
mail(c, "alice@relayguard.test", nil)
expect(c, SMFIR_REPLYCODE, "sender_not_logged_in",
	"553 5.7.1 <alice@relayguard.test>: Sender address rejected: not logged in",
	"no AUTH, an owned envelope sender")
mt.disconnect(c)
c = connect("smtpd", nil)
mail(c, "someone@elsewhere.example", nil)
expect(c, SMFIR_CONTINUE, nil, nil, "no AUTH, an address nobody holds (erin's * does not count)")
mt.disconnect(c)

-- a grant revoked while the session is open: its next MAIL FROM is refused
c = connect("smtpd", "TLSv1.3")
mail(c, "anyone@sales.relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "open session: first message with the @domain grant")
if mt.abort(c) ~= nil then fatal("mt.abort failed") end
sql("DELETE FROM senders WHERE identity = 'alice' AND address = '@sales.relayguard.test'")
mail(c, "anyone@sales.relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "sender_not_owned", "553 5.7.1",
	"same session after the grant was revoked: refused at once")
mt.disconnect(c)
sql("INSERT INTO senders(identity, address) VALUES('alice', '@sales.relayguard.test')")

-- the store unable to answer: 451 4.3.0, never a refusal, never an accept
sh("mv '" .. db .. "' '" .. db .. ".away'")
c = connect("smtpd", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "store_error", "451 4.7.1", "store gone: a temporary failure")
mt.disconnect(c)
sh("mv '" .. db .. ".away' '" .. db .. "'")
finish()
