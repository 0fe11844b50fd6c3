/*
 * sha1.h - SHA-1 of a short message (FIPS 180-4), for Community ID.
 *
 * Not for security: Community ID defines its hash as SHA-1 and this is the only use.
 */
#ifndef APIWATCH_SHA1_H
#define APIWATCH_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

void sha1_digest(uint8_t out[SHA1_DIGEST_LEN], const void *data, size_t len);

#endif
