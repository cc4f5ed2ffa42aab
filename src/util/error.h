/*
 * The project's one error enum. Every fallible function returns an
 * enum ch_code (CH_OK is 0) and, on failure, writes one human-readable
 * message naming the offending value into the caller's struct ch_error.
 * Upper layers pass the code along without rewriting the message.
 */
#ifndef CTIHUB_UTIL_ERROR_H
#define CTIHUB_UTIL_ERROR_H

enum ch_code {
	CH_OK = 0,
	CH_INVALID,     /* input does not parse or violates a rule */
	CH_NOT_FOUND,   /* the requested object does not exist (for this reader) */
	CH_TOO_LARGE,   /* input exceeds a hard limit */
	CH_IO,          /* file or stream error */
	CH_DB,          /* storage backend error */
	CH_USAGE,       /* bad command line */
	CH_DENIED,      /* the caller lacks the role or TLP access */
	CH_CONFLICT,    /* the object exists already or changed meanwhile */
	CH_INTERRUPTED, /* stopped by a signal; committed work is kept */
	CH_INTERNAL,    /* a broken invariant; a bug */
	CH_UNAUTHORIZED, /* no valid credentials */
	CH_RATE_LIMITED, /* too many requests; try again later */
	CH_METHOD_NOT_ALLOWED, /* the route exists but not for this HTTP method */
	CH_CODE_COUNT
};

#define CH_ERROR_MESSAGE_MAX 512
#define CH_ERROR_FIELD_MAX 64

struct ch_error {
	enum ch_code code;
	char message[CH_ERROR_MESSAGE_MAX];
	/* Name of the input field at fault (a JSON key, a CLI option), or "". */
	char field[CH_ERROR_FIELD_MAX];
};

/* Records code and a printf-style message in err (which may be NULL) and
 * returns code, so a failure reads `return ch_fail(err, CH_INVALID, ...)`. */
enum ch_code ch_fail(struct ch_error *err, enum ch_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ch_fail, and also records the name of the input field at fault. */
enum ch_code ch_fail_field(struct ch_error *err, enum ch_code code, const char *field,
			   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void ch_error_clear(struct ch_error *err);

/* Stable lower-case name of a code, used in JSON error bodies. */
const char *ch_code_name(enum ch_code code);
/* Process exit status the CLI uses for a code. */
int ch_code_exit_status(enum ch_code code);
/* HTTP status the server uses for a code. */
int ch_code_http_status(enum ch_code code);

#endif
