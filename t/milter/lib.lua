-- lib.lua — helpers for relayguard's miltertest scripts.
--
-- Globals from the wrapper (miltertest -D): socket, log (relayguard's log
-- file: the -f daemon writes one line per verdict to stderr), db (SQLite
-- store), tmp (a private folder).  Each check prints "ok - ..." or
-- "not ok - ..." (run-miltertest.sh numbers them into TAP).  miltertest
-- swallows error() messages, so fatal() prints the reason first.

local failed = 0

function fatal(msg)
	print("not ok - FATAL: " .. msg)
	io.stdout:flush()
	error(msg)
end

function check(cond, what, detail)
	if cond then
		print("ok - " .. what)
	else
		failed = failed + 1
		print("not ok - " .. what)
		if detail then print("#   " .. detail) end
	end
	io.stdout:flush()
	return cond
end

function finish()
	if failed > 0 then
		error(failed .. " check(s) failed")
	end
end

local names = {}
names[SMFIR_CONTINUE] = "continue"
names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"
names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_REPLYCODE] = "replycode"
names[SMFIR_DISCARD] = "discard"
function rname(r) return names[r] or tostring(r) end

-- ---- the daemon's log: lines added since the last call ----
local log_pos = 0
function log_skip()
	local f = io.open(log, "r")
	if f then log_pos = f:seek("end"); f:close() end
end

function log_new()
	local f = io.open(log, "r")
	if not f then fatal("cannot read " .. log) end
	f:seek("set", log_pos)
	local text = f:read("*a") or ""
	log_pos = f:seek("end")
	f:close()
	return text
end

-- expect the last reply to be r (an SMFIR_*) and, when reason is given, a
-- verdict line with that reason (and reply text pattern) since the last check
function expect(conn, r, reason, reply, what)
	local got = mt.getreply(conn)
	local text = log_new()
	local okr = check(got == r, what .. ": milter reply " .. rname(r),
		"got " .. rname(got))
	if reason then
		local line = nil
		for l in text:gmatch("[^\n]+") do
			if l:find(" milter ", 1, true) and l:find("reason=" .. reason, 1, true) then
				line = l
			end
		end
		check(line ~= nil, what .. ": logged reason=" .. reason,
			"log since last check:\n# " .. text:gsub("\n", "\n# "))
		if reply and line then
			check(line:find(reply, 1, true) ~= nil, what .. ": reply " .. reply, line)
		end
	end
	return okr
end

-- ---- SMTP-ish steps ----
local qid = 0

-- a new MTA connection: connect macros for listener daemon (nil: none sent),
-- EHLO with TLS macros when tls is a version string
function connect(daemon, tls, addr)
	local conn = mt.connect(socket, 50, 0.1)
	if conn == nil then fatal("mt.connect(" .. socket .. ") failed") end
	if daemon then
		mt.macro(conn, SMFIC_CONNECT, "j", "mx.relayguard.test",
			"{daemon_name}", daemon, "{daemon_addr}", "127.0.0.1")
	end
	if mt.conninfo(conn, "client.example", addr or "192.0.2.7") ~= nil then
		fatal("mt.conninfo failed")
	end
	ehlo(conn, tls)
	return conn
end

function ehlo(conn, tls)
	if tls then
		mt.macro(conn, SMFIC_HELO, "{tls_version}", tls,
			"{cipher}", "TLS_AES_256_GCM_SHA384", "{cipher_bits}", "256")
	end
	if mt.helo(conn, "client.example") ~= nil then fatal("mt.helo failed") end
end

-- MAIL FROM as user (nil: no AUTH); extra = more macro name/value pairs;
-- nomacros = send no MAIL-stage macro at all
function mail(conn, sender, user, nomacros, extra)
	qid = qid + 1
	if not nomacros then
		local m = { "i", string.format("QID%04d", qid), "{mail_addr}", sender,
			"{mail_host}", "relayguard.test", "{mail_mailer}", "esmtp" }
		if user then
			table.insert(m, "{auth_type}"); table.insert(m, "PLAIN")
			table.insert(m, "{auth_authen}"); table.insert(m, user)
		end
		for _, v in ipairs(extra or {}) do table.insert(m, v) end
		mt.macro(conn, SMFIC_MAIL, (table.unpack or unpack)(m))
	end
	if mt.mailfrom(conn, "<" .. sender .. ">") ~= nil then fatal("mt.mailfrom failed") end
end

-- headers: list of {name, value}; returns after EOH
function headers(conn, list)
	for _, h in ipairs(list) do
		if mt.header(conn, h[1], h[2]) ~= nil then fatal("mt.header failed") end
	end
	if mt.eoh(conn) ~= nil then fatal("mt.eoh failed") end
end

function eom(conn)
	if mt.eom(conn) ~= nil then fatal("mt.eom failed") end
end

function sh(cmd)
	local r = os.execute(cmd)
	if r ~= true and r ~= 0 then fatal("shell: " .. cmd) end
end

function sql(stmt)
	sh("sqlite3 '" .. db .. "' \"" .. stmt .. "\"")
end

log_skip()
