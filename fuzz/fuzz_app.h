/* fuzz_app: an in-process descovo-mock for the fuzz targets, without HTTP.
 * Requests go straight to routes_dispatch with a fake http_request; the
 * state (one DRAFT and one NORMAL audience, an export) is rebuilt every
 * FUZZ_RESET_EVERY inputs so that credits and quotas do not run out. */
#ifndef DESCOVO_FUZZ_APP_H
#define DESCOVO_FUZZ_APP_H

#include <stddef.h>

#define FUZZ_RESET_EVERY 2000

/* Creates the app on first use; then counts inputs and resets the state
 * when due. Aborts when the app cannot start. */
void fuzz_app_begin_input(void);

/* Sends one request. path may contain @D (the DRAFT audience's id), @N
 * (the NORMAL one's) and @E (an export's id); query is "a=b&c" (raw, not
 * decoded), content_type NULL for none. The answer is checked: a status in
 * the expected set and an error body in the service's shape; a CSV is read
 * to its end. Aborts (a finding) otherwise. */
void fuzz_app_request(const char *method, const char *path, const char *query, size_t query_len,
                      const char *content_type, const char *body, size_t body_len);

#endif
