-- milter-loop.lua — message transactions in a loop while the daemon is
-- reloaded (t/ops/reload-loop.sh).  Globals (miltertest -D): socket, stopfile,
-- result (file for the counts).  Each round: an authorised message (expect
-- accept) and one for a tenant the identity may not use (expect the 550
-- reject), each on its own MTA connection.  Runs until stopfile exists.

local okc, bad, rounds = 0, 0, 0
local notes = {}

local function note(msg)
	if #notes < 20 then table.insert(notes, msg) end
end

local function transaction(tenant, want)
	local conn = mt.connect(socket, 50, 0.1)
	if conn == nil then
		bad = bad + 1
		note("connect failed")
		return
	end
	mt.macro(conn, SMFIC_CONNECT, "j", "mx.relayguard.test",
		"{daemon_name}", "submission", "{daemon_addr}", "127.0.0.1")
	local good = mt.conninfo(conn, "client.example", "192.0.2.7") == nil
	mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3",
		"{cipher}", "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256")
	good = good and mt.helo(conn, "client.example") == nil
	mt.macro(conn, SMFIC_MAIL, "i", "LOOP" .. rounds, "{mail_addr}", "alice@relayguard.test",
		"{auth_type}", "PLAIN", "{auth_authen}", "alice")
	good = good and mt.mailfrom(conn, "<alice@relayguard.test>") == nil
	local r1 = mt.getreply(conn)
	good = good and r1 == SMFIR_CONTINUE
	good = good and mt.header(conn, "From", "alice@relayguard.test") == nil
	good = good and mt.header(conn, "X-Tenant", tenant) == nil
	good = good and mt.eoh(conn) == nil
	local r = mt.getreply(conn)
	if r == SMFIR_CONTINUE then
		good = good and mt.eom(conn) == nil
		r = mt.getreply(conn)
	end
	mt.disconnect(conn)
	if good and r == want then
		okc = okc + 1
	else
		bad = bad + 1
		note(string.format("round %d tenant %s: reply %s, wanted %s (steps ok: %s)",
			rounds, tenant, tostring(r), tostring(want), tostring(good)))
	end
end

local function stop_requested()
	local f = io.open(stopfile, "r")
	if f then f:close() return true end
	return false
end

-- miltertest swallows error() texts: catch them and count them as failures
local function guarded(tenant, want)
	local fine, err = pcall(transaction, tenant, want)
	if not fine then
		bad = bad + 1
		note("error: " .. tostring(err))
	end
end

repeat
	rounds = rounds + 1
	guarded("acme", SMFIR_ACCEPT)
	guarded("globex", SMFIR_REPLYCODE)
until stop_requested() or rounds >= 100000

local out = io.open(result, "w")
out:write(string.format("ok=%d bad=%d rounds=%d\n", okc, bad, rounds))
for _, n in ipairs(notes) do out:write("# " .. n .. "\n") end
out:close()
