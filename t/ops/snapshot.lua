-- snapshot.lua — a message is judged by the configuration snapshot current
-- at its MAIL FROM; a reload reaches the next message of a connection that
-- was open before it, and new connections (t/ops/control.sh).  Globals: socket, reload (shell command that reloads
-- into a config where tenant acme no longer admits alice).
-- Prints "ok - ..." / "not ok - ..." lines.

local function check(cond, what)
	print((cond and "ok - " or "not ok - ") .. what)
	io.stdout:flush()
end

local function mail(conn, qid)
	mt.macro(conn, SMFIC_MAIL, "i", qid, "{mail_addr}", "alice@relayguard.test",
		"{auth_type}", "PLAIN", "{auth_authen}", "alice")
	assert(mt.mailfrom(conn, "<alice@relayguard.test>") == nil)
end

local function open_to_mail()
	local conn = mt.connect(socket, 50, 0.1)
	if conn == nil then error("connect failed") end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.relayguard.test",
		"{daemon_name}", "submission", "{daemon_addr}", "127.0.0.1")
	assert(mt.conninfo(conn, "client.example", "192.0.2.7") == nil)
	mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384")
	assert(mt.helo(conn, "client.example") == nil)
	mt.macro(conn, SMFIC_MAIL, "i", "SNAP", "{mail_addr}", "alice@relayguard.test",
		"{auth_type}", "PLAIN", "{auth_authen}", "alice")
	assert(mt.mailfrom(conn, "<alice@relayguard.test>") == nil)
	return conn
end

local function tenant_verdict(conn)
	assert(mt.header(conn, "X-Tenant", "acme") == nil)
	assert(mt.eoh(conn) == nil)
	local r = mt.getreply(conn)
	if r == SMFIR_CONTINUE then
		assert(mt.eom(conn) == nil)
		r = mt.getreply(conn)
	end
	return r
end

local old = open_to_mail()
local r = os.execute(reload)
check(r == true or r == 0, "reload while a connection is open, a message under way")
local new = open_to_mail()
check(tenant_verdict(old) == SMFIR_ACCEPT,
	"the message whose MAIL FROM came before the reload is judged by the old snapshot (accept)")
mail(old, "SNAP2")
check(tenant_verdict(old) == SMFIR_REPLYCODE,
	"the next message on that same connection is judged by the new snapshot (reject)")
check(tenant_verdict(new) == SMFIR_REPLYCODE,
	"a connection opened after the reload uses the new one (reject)")
mt.disconnect(old)
mt.disconnect(new)
