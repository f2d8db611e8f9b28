/*
 * isolation.c - see isolation.h.
 */
#include "supervisor/sandbox/isolation.h"

#include <stdio.h>

#include "proto/msg.h"

void
isolation_unmet_text(uint32_t has, int abi, uint32_t need, int need_abi,
		     const char *who, char *buf, size_t cap)
{
	uint32_t missing = need & ~has & ~(uint32_t)MSG_LAYER_LANDLOCK;
	char miss[256] = "", got[256], ll[96] = "";

	if (missing)
		msg_layers_text(missing, 0, miss, sizeof(miss));
	if (abi < need_abi)
		snprintf(ll, sizeof(ll), "%sLandlock ABI >= %d (it has %d)",
			 missing ? " and " : "", need_abi, abi);
	msg_layers_text(has, abi, got, sizeof(got));
	snprintf(buf, cap,
		 "--require-isolation is not met: %s lacks %s%s; it has %s",
		 who, miss, ll, got);
}
