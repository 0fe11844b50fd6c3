/*
 * siphash.h - SipHash, the keyed hash of every table whose keys an attacker chooses.
 *
 * Used by the defragmenter's tracker table and the flow table: with a secret per-context key,
 * remote hosts cannot aim packets at one hash bucket. It is a hash, not a MAC for stored data:
 * callers keep their key in memory only.
 */
#ifndef APIWATCH_SIPHASH_H
#define APIWATCH_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of len bytes at data under the 128-bit key (Aumasson and Bernstein, 2012): for
 * values that leave the process (redacted secrets, principal ids, flow ids). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

/* SipHash-1-3, the reduced-round variant hash tables use (as Rust's and Python's do): half the
 * rounds, still keyed, for bucket indexes that are computed per packet or per path segment and
 * never leave the process. */
uint64_t siphash13(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

/* Fills key with a per-context secret: the kernel's random bytes, or, should getrandom(2)
 * fail, a hash of the monotonic clock and salt (an address of the context). */
void siphash_seed(uint8_t key[SIPHASH_KEY_LEN], const void *salt);

#endif
