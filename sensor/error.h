/*
 * error.h - the project's error codes.
 *
 * Every fallible function returns int: 0 on success, a negative AW_E* code otherwise. The codes
 * and their messages come from one table, so a new code is one line. Callers pass codes up
 * unchanged; only the layer that sets policy (main, pipeline) logs or counts them.
 */
#ifndef APIWATCH_ERROR_H
#define APIWATCH_ERROR_H

#define AW_ERROR_MAP(X)                       \
	X(NOMEM, "out of memory")             \
	X(INVAL, "invalid argument")          \
	X(IO, "input/output error")           \
	X(NOENT, "no such file or interface") \
	X(PERM, "permission denied")          \
	X(CAPTURE, "capture error")           \
	X(FILTER, "invalid capture filter")   \
	X(FORMAT, "unrecognised file format") \
	X(TRUNCATED, "truncated input")       \
	X(MALFORMED, "malformed input")       \
	X(LIMIT, "limit reached")             \
	X(NOTSUP, "not supported")            \
	X(CONFIG, "invalid configuration")

enum aw_error {
	AW_OK = 0,
	AW_E__BASE = -1000,
#define AW_ERROR_ENUM(name, msg) AW_E##name,
	AW_ERROR_MAP(AW_ERROR_ENUM)
#undef AW_ERROR_ENUM
		AW_E__END
};

/* Returns a static, human-readable message for an AW_E* code (or "success" for 0). */
const char *error_str(int code);

/* Returns the short symbolic name ("NOMEM") for an AW_E* code. */
const char *error_name(int code);

#endif
