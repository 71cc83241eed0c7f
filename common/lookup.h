/*
 * lookup.h — the answer of every lookup in relayguard (OpenSMTPD style):
 * RG_LOOKUP_ERROR (the source could not answer: the caller turns it into a
 * TEMPORARY failure, never into success and never into a refusal),
 * RG_LOOKUP_NOTFOUND, RG_LOOKUP_FOUND.
 */
#ifndef RG_LOOKUP_H
#define RG_LOOKUP_H

enum rg_lookup {
	RG_LOOKUP_ERROR = -1,
	RG_LOOKUP_NOTFOUND = 0,
	RG_LOOKUP_FOUND = 1,
};

#endif
