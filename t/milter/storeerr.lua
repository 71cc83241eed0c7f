-- storeerr.lua — the SQLite store cannot answer (a writer holds the database
-- exclusively): tempfail at MAIL and at end of headers, never accept/reject.
dofile(srcdir .. "/t/milter/lib.lua")

local lockdir = tmp .. "/lock"
local function exists(p) local f = io.open(p, "r"); if f then f:close() return true end return false end

-- a sqlite3 process takes the lock, says so (HELD), keeps it until RELEASE
-- appears, then commits and says so (DONE)
local function lock()
	sh("rm -rf '" .. lockdir .. "' && mkdir -p '" .. lockdir .. "'")
	sh("( printf 'BEGIN EXCLUSIVE;\\nUPDATE users SET enabled = enabled;\\n.shell touch " ..
		lockdir .. "/HELD\\n'; while [ ! -e '" .. lockdir .. "/RELEASE' ]; do sleep 0.05; done; " ..
		"printf 'COMMIT;\\n.shell touch " .. lockdir .. "/DONE\\n' ) | sqlite3 '" .. db ..
		"' >/dev/null 2>&1 &")
	local n = 0
	while not exists(lockdir .. "/HELD") do
		mt.sleep(0.05); n = n + 1
		if n > 200 then fatal("the locking sqlite3 did not start") end
	end
end
local function unlock()
	sh("touch '" .. lockdir .. "/RELEASE'")
	local n = 0
	while not exists(lockdir .. "/DONE") do
		mt.sleep(0.05); n = n + 1
		if n > 200 then fatal("the locking sqlite3 did not finish") end
	end
end

lock()
local c = connect("submission", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_REPLYCODE, "store_error", "451 4.7.1", "locked store at MAIL: tempfail")
mt.disconnect(c)
unlock()

c = connect("submission", "TLSv1.3")
mail(c, "erin@relayguard.test", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "lock released: MAIL answered again")
lock()
headers(c, { { "X-Tenant", "dbtenant" } })
expect(c, SMFIR_REPLYCODE, "store_error", "451 4.7.1", "locked store at end of headers: tempfail")
unlock()
mail(c, "erin@relayguard.test", "erin")
headers(c, { { "X-Tenant", "dbtenant" } })
expect(c, SMFIR_ACCEPT, "tenant_authorized", nil, "same connection, lock gone: accepted")
mt.disconnect(c)

finish()
