/*
 * dissector.c - the registry of application-layer dissectors (see dissector.h).
 *
 * Adding a protocol means adding its dissectors/<proto>*.c and one line here.
 */
#include "dissector.h"

#include "http1.h"

const dissector_t *const dissector_table[] = {
	&http1_dissector,
	NULL,
};
