-- inflight.lua — a message transaction that is in flight when the daemon is
-- told to stop (t/ops/stop.sh).  Globals: socket, signal (shell command that
-- sends SIGTERM), hold (seconds to wait after the signal before going on).
-- Prints "ok - ..." / "not ok - ...".

local function check(cond, what)
	print((cond and "ok - " or "not ok - ") .. what)
	io.stdout:flush()
end

local conn = mt.connect(socket, 50, 0.1)
if conn == nil then
	check(false, "connect")
	return
end
mt.macro(conn, SMFIC_CONNECT, "j", "mx.relayguard.test",
	"{daemon_name}", "submission", "{daemon_addr}", "127.0.0.1")
assert(mt.conninfo(conn, "client.example", "192.0.2.7") == nil)
mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3", "{cipher}", "TLS_AES_256_GCM_SHA384")
assert(mt.helo(conn, "client.example") == nil)
mt.macro(conn, SMFIC_MAIL, "i", "INFLIGHT", "{mail_addr}", "alice@relayguard.test",
	"{auth_type}", "PLAIN", "{auth_authen}", "alice")
assert(mt.mailfrom(conn, "<alice@relayguard.test>") == nil)
check(mt.getreply(conn) == SMFIR_CONTINUE, "MAIL accepted before the stop")
local r = os.execute(signal)
check(r == true or r == 0, "SIGTERM sent while the transaction is open")
os.execute("sleep " .. hold)
-- Debian's libmilter runs sessions on a worker pool whose controller stops
-- polling MTA connections once libmilter has seen SIGTERM: the rest of this
-- transaction is never served.  What must hold is that it is never accepted
-- (the MTA sees the connection close and applies milter_default_action).
local fine, r = pcall(function()
	assert(mt.header(conn, "X-Tenant", "acme") == nil)
	assert(mt.eoh(conn) == nil)
	return mt.getreply(conn)
end)
check(not fine or r ~= SMFIR_ACCEPT,
	"a transaction cut short by the stop is not accepted (" .. tostring(r) .. ")")
pcall(mt.disconnect, conn)
