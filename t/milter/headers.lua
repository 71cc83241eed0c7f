-- headers.lua — run with the "edit" config: remove_header = true,
-- add_header = "X-Tenant-Verified", accept_repeated_same = true.
dofile(srcdir .. "/t/milter/lib.lua")

local c = connect("submission", "TLSv1.3")
check(mt.test_action(c, SMFIF_ADDHDRS) and mt.test_action(c, SMFIF_CHGHDRS),
	"header add/change actions requested when the config edits headers")
mail(c, "alice@relayguard.test", "alice")
expect(c, SMFIR_CONTINUE, nil, nil, "MAIL")
headers(c, { { "X-Tenant", "acme" }, { "X-Tenant-Verified", "globex" }, { "X-Tenant", "ACME" } })
check(mt.getreply(c) == SMFIR_CONTINUE, "EOH: continue to EOM for the header changes")
eom(c)
expect(c, SMFIR_CONTINUE, "tenant_authorized", nil, "EOM: accepted")
check(mt.eom_check(c, MT_HDRDELETE, "X-Tenant"), "tenant header removed")
check(mt.eom_check(c, MT_HDRDELETE, "X-Tenant-Verified"), "client-supplied X-Tenant-Verified removed")
check(mt.eom_check(c, MT_HDRADD, "X-Tenant-Verified", "acme"), "verified tenant recorded")

-- second message on the same connection: a refusal changes nothing
mail(c, "alice@relayguard.test", "alice")
headers(c, { { "X-Tenant", "globex" } })
expect(c, SMFIR_REPLYCODE, "tenant_not_authorized", "550 5.7.1", "refused at EOH, no changes")

-- third: no tenant header, only a spoofed verified one
mail(c, "alice@relayguard.test", "alice")
headers(c, { { "X-Tenant-Verified", "acme" } })
eom(c)
expect(c, SMFIR_CONTINUE, "no_tenant_header", nil, "no tenant header")
check(mt.eom_check(c, MT_HDRDELETE, "X-Tenant-Verified"), "spoofed X-Tenant-Verified removed")
check(not mt.eom_check(c, MT_HDRADD), "nothing added without a verified tenant")
mt.disconnect(c)

finish()
