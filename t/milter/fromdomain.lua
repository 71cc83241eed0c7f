-- fromdomain.lua — tenants.missing = "from_domain" through the daemon (run
-- after the reload into the senders config with it).  The SQLite tenant
-- dbtenant lists db.example and *.db.example and admits erin; the config
-- tenant acme admits alice and lists no domains; alice also holds @db.example.
dofile(srcdir .. "/t/milter/lib.lua")

local c

-- erin, no tenant header, From: in a subdomain of dbtenant's: dbtenant,
-- checked and recorded as the verified tenant
c = connect("smtpd", "TLSv1.3")
mail(c, "erin@db.example", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "erin, From: mail.db.example, no header (MAIL FROM)")
headers(c, { { "From", "Erin <erin@mail.db.example>" } })
expect(c, SMFIR_CONTINUE, nil, nil, "erin, From: mail.db.example, no header (end of headers)")
eom(c)
expect(c, SMFIR_CONTINUE, "tenant_authorized", nil, "erin: the From: domain's tenant dbtenant, authorized")
local f = io.open(log, "r")
local all = f and f:read("*a") or ""
if f then f:close() end
check(all:find("tenant=dbtenant tenant_source=from_domain reason=tenant_authorized", 1, true) ~= nil,
	"erin: the verdict line says where the tenant came from")
check(mt.eom_check(c, MT_HDRADD, "X-Tenant-Verified", "dbtenant"),
	"erin: X-Tenant-Verified: dbtenant added (the tenant came from the From: domain)")
mt.disconnect(c)

-- alice may use @db.example as a sender, but dbtenant does not admit her
c = connect("smtpd", "TLSv1.3")
mail(c, "alice@db.example", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "alice, From: db.example, no header (MAIL FROM)")
headers(c, { { "From", "alice@db.example" } })
expect(c, SMFIR_REPLYCODE, "tenant_not_authorized",
	"550 5.7.1 Sender is not authorized for tenant dbtenant (the tenant of the From: domain)",
	"alice: the From: domain's tenant does not admit her")
mt.disconnect(c)

-- a header present decides: erin with X-Tenant: dbtenant and a From: outside its domains
c = connect("smtpd", "TLSv1.3")
mail(c, "erin@db.example", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "erin, header and From: of another domain (MAIL FROM)")
headers(c, { { "From", "erin@globex.example" }, { "X-Tenant", "dbtenant" } })
expect(c, SMFIR_REPLYCODE, "tenant_domain_not_allowed",
	"550 5.7.1 From: domain globex.example is not a domain of tenant dbtenant",
	"erin: the header's tenant is checked, not replaced by a derived one")
mt.disconnect(c)

-- a From: domain no tenant lists: accepted without a tenant
c = connect("smtpd", "TLSv1.3")
mail(c, "erin@elsewhere.example", "erin")
expect(c, SMFIR_CONTINUE, nil, nil, "erin, From: a domain no tenant lists (MAIL FROM)")
headers(c, { { "From", "erin@elsewhere.example" } })
expect(c, SMFIR_ACCEPT, "no_tenant_header", nil, "erin: no tenant for elsewhere.example: accepted as before")
mt.disconnect(c)

finish()
