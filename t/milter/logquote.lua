-- logquote.lua — client-chosen values in the verdict lines ({auth_authen},
-- X-Tenant) cannot plant fields: t/logkv.py parses each verdict line as
-- key=value fields (each key once, the value decoded back to what was sent).
dofile(srcdir .. "/t/milter/lib.lua")

local function shq(s) return "'" .. (s:gsub("'", "'\\''")) .. "'" end

-- the one verdict line logged since the last check passes logkv.py with args
local function logged(what, keys, args)
	local text = log_new()
	local f = tmp .. "/logquote.txt"
	local h = io.open(f, "wb")
	h:write(text)
	h:close()
	local cmd = "python3 " .. shq(srcdir .. "/t/logkv.py") .. " --match ' milter ' --count 1 --keys " .. keys
	for _, a in ipairs(args) do cmd = cmd .. " " .. shq(a) end
	local p = io.popen(cmd .. " " .. shq(f) .. " 2>&1")
	local out = p:read("*a")
	local okc = p:close()
	local _, n = text:gsub("identity=", "")
	check(okc == true and n == 1, what .. ": verdict line parses, fields intact",
		out:gsub("\n", "\n#   ") .. "log: " .. text)
end

local REPLY = "client,identity,login,tenant,reason,reply"
local PASS = "client,identity,login,tenant,reason"

-- unknown identities: refused at MAIL (require_known_identity)
for _, who in ipairs({ "x client=203.0.113.66 identity=root tenant=acme reason=ok",
		'a"b\\c =d', "alice\001evil\255", "-", '" reply="250 ok' }) do
	local c = connect("submission", "TLSv1.3")
	log_new()
	mail(c, "alice@relayguard.test", who)
	check(mt.getreply(c) == SMFIR_REPLYCODE, "identity " .. who:gsub("[^%g ]", "?") .. ": refused")
	logged("identity " .. who:gsub("[^%g ]", "?"), REPLY, { "--expect", "identity=" .. who,
		"--expect", "client=192.0.2.7", "--absent", "tenant", "--expect", "reason=identity_unknown",
		"--expect", "reply=550 5.7.1 Sender identity is not permitted to send" })
	mt.disconnect(c)
end

-- an empty {auth_authen}: tempfail, logged as ""
local c = connect("submission", "TLSv1.3")
log_new()
mail(c, "alice@relayguard.test", "")
check(mt.getreply(c) == SMFIR_REPLYCODE, "empty identity: tempfail")
logged("empty identity", REPLY, { "--expect", "identity=", "--expect", "reason=auth_authen_missing" })
mt.disconnect(c)

-- a known identity with a hostile name: reject (not authorized) and accept lines
local HOSTILE = 'ok "x" \\y identity=root tenant=globex'
local sqlf = tmp .. "/logquote.sql"
local h = io.open(sqlf, "w")
h:write("INSERT INTO users VALUES ('" .. HOSTILE .. "', '{SSHA512}unused', 1);\n" ..
	"INSERT INTO tenant_authz VALUES ('dbtenant', '" .. HOSTILE .. "');\n")
h:close()
sh("sqlite3 " .. shq(db) .. " < " .. shq(sqlf))

c = connect("submission", "TLSv1.3")
mail(c, "x@relayguard.test", HOSTILE)
check(mt.getreply(c) == SMFIR_CONTINUE, "known hostile identity: MAIL passes")
log_new()
headers(c, { { "X-Tenant", "acme" } })
check(mt.getreply(c) == SMFIR_REPLYCODE, "known hostile identity, tenant acme: refused")
logged("not authorized", REPLY, { "--expect", "identity=" .. HOSTILE, "--expect", "tenant=acme",
	"--expect", "reason=tenant_not_authorized",
	"--expect", "reply=550 5.7.1 Sender is not authorized for tenant acme" })
mt.disconnect(c)

c = connect("submission", "TLSv1.3")
mail(c, "x@relayguard.test", HOSTILE)
log_new()
headers(c, { { "X-Tenant", "dbtenant" } })
check(mt.getreply(c) == SMFIR_ACCEPT, "known hostile identity, its tenant: accepted")
logged("accepted", PASS, { "--expect", "identity=" .. HOSTILE, "--expect", "tenant=dbtenant",
	"--expect", "reason=tenant_authorized" })
mt.disconnect(c)

-- tenant values: "-" is a valid tenant name (logged quoted, unlike "no tenant");
-- a value with spaces and '=' is refused and not logged as the tenant
c = connect("submission", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice")
log_new()
headers(c, { { "X-Tenant", "-" } })
check(mt.getreply(c) == SMFIR_REPLYCODE, "tenant '-': refused (unknown)")
logged("tenant '-'", REPLY, { "--expect", "tenant=-", "--expect", "identity=alice",
	"--expect", "reason=tenant_unknown" })
mt.disconnect(c)

c = connect("submission", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice")
log_new()
headers(c, { { "X-Tenant", "acme identity=root" } })
check(mt.getreply(c) == SMFIR_REPLYCODE, "tenant with '=': refused")
logged("tenant with '='", REPLY, { "--absent", "tenant", "--expect", "identity=alice",
	"--expect", "reason=tenant_header_invalid" })
mt.disconnect(c)

finish()
