/*
 * error.c - messages and names for the AW_E* codes of error.h.
 */
#include "error.h"

const char *error_str(int code)
{
	switch (code) {
	case AW_OK:
		return "success";
#define AW_ERROR_STR(name, msg) \
	case AW_E##name:        \
		return msg;
		AW_ERROR_MAP(AW_ERROR_STR)
#undef AW_ERROR_STR
	default:
		return "unknown error";
	}
}

const char *error_name(int code)
{
	switch (code) {
	case AW_OK:
		return "OK";
#define AW_ERROR_NAME(name, msg) \
	case AW_E##name:         \
		return #name;
		AW_ERROR_MAP(AW_ERROR_NAME)
#undef AW_ERROR_NAME
	default:
		return "UNKNOWN";
	}
}
