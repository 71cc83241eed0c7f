-- hostile.lua — malformed and repeated tenant headers.
dofile(srcdir .. "/t/milter/lib.lua")

local function case(hdrs, reply, reason, code, what)
	local c = connect("submission", "TLSv1.3")
	mail(c, "alice@relayguard.test", "alice")
	if mt.getreply(c) ~= SMFIR_CONTINUE then
		check(false, what .. ": MAIL accepted first")
		mt.disconnect(c)
		return
	end
	log_new()
	headers(c, hdrs)
	expect(c, reply, reason, code, what)
	mt.disconnect(c)
end

case({ { "X-Tenant", "\r\n acme\r\n\t" } }, SMFIR_ACCEPT, "tenant_authorized", nil,
	"folded value (CRLF) unfolded and trimmed")
case({ { "X-Tenant", "\n\tacme" } }, SMFIR_ACCEPT, "tenant_authorized", nil,
	"folded value (LF, as Postfix sends it)")
case({ { "X-Tenant", "ac\r\n me" } }, SMFIR_REPLYCODE, "tenant_header_invalid", "550 5.7.1",
	"fold inside the name")
case({ { "X-Tenant", "=?utf-8?q?acme?=" } }, SMFIR_REPLYCODE, "tenant_header_encoded_word",
	"550 5.7.1", "encoded word")
case({ { "X-Tenant", "ac\001me" } }, SMFIR_REPLYCODE, "tenant_header_control_char",
	"550 5.7.1", "control byte")
case({ { "X-Tenant", "acme\nglobex" } }, SMFIR_REPLYCODE, "tenant_header_control_char",
	"550 5.7.1", "bare line break (header injection)")
case({ { "X-Tenant", "acm\195\169" } }, SMFIR_REPLYCODE, "tenant_header_control_char",
	"550 5.7.1", "8-bit bytes")
-- (miltertest itself overflows its 1 KiB buffer on longer headers)
case({ { "X-Tenant", string.rep("a", 900) } }, SMFIR_REPLYCODE, "tenant_header_too_long",
	"550 5.7.1", "900-byte value")
case({ { "X-Tenant", string.rep("a", 65) } }, SMFIR_REPLYCODE, "tenant_header_too_long",
	"550 5.7.1", "65 bytes, max_length 64")
case({ { "X-Tenant", "" } }, SMFIR_REPLYCODE, "tenant_header_empty", "550 5.7.1", "empty value")
case({ { "X-Tenant", "acme%s%n" } }, SMFIR_REPLYCODE, "tenant_header_invalid", "550 5.7.1",
	"format characters")
case({ { "X-Tenant", "acme" }, { "X-Tenant", "globex" } }, SMFIR_REPLYCODE,
	"tenant_header_conflict", "550 5.7.1", "repeated, different values")
case({ { "X-Tenant", "acme" }, { "X-Tenant", "acme" } }, SMFIR_REPLYCODE,
	"tenant_header_repeated", "550 5.7.1", "repeated, same value, accept_repeated_same = false")
case({ { "X-Tenant", "acme" }, { "Subject", "x" }, { "X-TENANT", "=?x?b?Zm9v?=" } },
	SMFIR_REPLYCODE, "tenant_header_encoded_word", "550 5.7.1",
	"good first instance, hostile second")

-- the log line stays one line and escapes control bytes of client-supplied values
local c = connect("submission", "TLSv1.3")
mail(c, "alice@relayguard.test", "alice\001evil")
local text = log_new()
check(mt.getreply(c) == SMFIR_REPLYCODE and text:find("identity=\"alice\\x01evil\"", 1, true) ~= nil,
	"identity with a control byte: refused, escaped in the log", text)
mt.disconnect(c)

finish()
