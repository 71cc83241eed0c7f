-- sessions.lua — several messages per connection, RSET/abort, re-EHLO,
-- nothing carried over between messages or connections, and a user
-- disabled between two messages of one connection.
dofile(srcdir .. "/t/milter/lib.lua")

local c = connect("submission", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "msg 1: MAIL")
headers(c, { { "X-Tenant", "acme" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "msg 1: accepted")

-- msg 2: header sent, then RSET before end of headers
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "msg 2: MAIL")
mt.header(c, "X-Tenant", "acme")
mt.abort(c)

-- msg 3: the same header again must count once (msg 2's state is gone)
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "msg 3: MAIL after RSET")
headers(c, { { "X-Tenant", "acme" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "msg 3: no repeat carried over from msg 2")

-- msg 4: another MAIL FROM without RSET, header seen but no EOH, then msg 5
mail(c, "alice@relayguard.test", "alice")
mt.header(c, "X-Tenant", "globex")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "msg 5: new MAIL FROM resets the message")
headers(c, { { "Subject", "no tenant" } })
expect(c, SMFIR_ACCEPT, "no_tenant_header", nil, "msg 5: msg 4's header not carried over")

-- msg 6: a refused message, then a good one on the same connection
mail(c, "alice@relayguard.test", "alice")
headers(c, { { "X-Tenant", "globex" } })
expect(c, SMFIR_REPLYCODE, "tenant_not_authorized", "550 5.7.1", "msg 6: refused")
mail(c, "alice@relayguard.test", "alice")
headers(c, { { "X-Tenant", "acme" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "msg 7: accepted after a refusal")

-- a repeated EHLO without TLS macros does not lose TLS
ehlo(c, nil)
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "msg 8: TLS kept across a repeated EHLO")
mt.disconnect(c)

-- connection 2: TLS from connection 1 must not leak
c = connect("submission", nil)
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "auth_without_tls", "530 5.7.0", "new connection starts without TLS")
mt.disconnect(c)

-- a user disabled between two messages of one connection
c = connect("submission", "TLSv1.3")
mail(c, "erin@relayguard.test", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "erin msg 1: MAIL")
headers(c, { { "X-Tenant", "globex" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "erin msg 1: accepted")
sql("UPDATE users SET enabled = 0 WHERE name = 'erin'")
mail(c, "erin@relayguard.test", "erin")
expect(c, SMFIR_REPLYCODE, "identity_disabled", "550 5.7.1",
	"erin msg 2: disabled since msg 1, same connection")
sql("UPDATE users SET enabled = 1 WHERE name = 'erin'")
mail(c, "erin@relayguard.test", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "erin msg 3: enabled again")
mt.disconnect(c)

finish()
