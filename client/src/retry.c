/* The retry policy, in the manner of the curl tool: which failures may be
 * retried, and how long to wait before the next attempt. Pure functions:
 * the driver (client_perform) owns the clock and the sleeping. */
#include "internal.h"

/* Transport failures where the request surely never reached the service:
 * safe to retry for every request, even one that spends credits. */
static int never_sent(CURLcode code)
{
    return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
           code == CURLE_COULDNT_CONNECT;
}

int retry_should(request_kind kind, const transport_result *res, int transport_failed)
{
    if (transport_failed) {
        if (res->write_failed)
            return 0;    /* a local problem: another attempt fails the same way */
        if (never_sent(res->code))
            return 1;
        /* Reset, empty reply, timeout: the service may have acted on it. */
        return kind == REQUEST_SAFE;
    }
    /* The service says it did not process the request. */
    if (res->status == 429 || res->status == 503)
        return 1;
    if (res->status >= 500 && res->status <= 599)
        return kind == REQUEST_SAFE;
    return 0;
}

int64_t retry_delay_ms(const descovo_retry_policy *policy, int attempt,
                       int has_retry_after, long retry_after, uint32_t random)
{
    int64_t ceiling = policy->base_ms > 0 ? policy->base_ms : 0;
    for (int i = 1; i < attempt && ceiling < policy->cap_ms; i++)
        ceiling *= 2;
    if (policy->cap_ms > 0 && ceiling > policy->cap_ms)
        ceiling = policy->cap_ms;
    if (ceiling > INT32_MAX)
        ceiling = INT32_MAX;    /* keeps ceiling * random within 64 bits */
    /* Full jitter: uniform in [0, ceiling]. */
    int64_t delay = (int64_t)(((uint64_t)ceiling * random) >> 32);
    if (has_retry_after) {
        long seconds = retry_after < 0 ? 0 : retry_after;
        if (seconds > policy->max_retry_after_s)
            seconds = policy->max_retry_after_s;
        if ((int64_t)seconds * 1000 > delay)
            delay = (int64_t)seconds * 1000;
    }
    return delay;
}

const char *retry_reason(request_kind kind, const transport_result *res, int transport_failed)
{
    if (transport_failed) {
        if (res->write_failed)
            return "a local write failed";
        if (res->too_large)
            return "the answer is too large";
        if (never_sent(res->code))
            return "no connection, so nothing was sent";
        return kind == REQUEST_SAFE ? "a GET is safe to repeat"
                                    : "not repeated: the service may have processed it (check before trying again)";
    }
    if (res->status == 429 || res->status == 503)
        return "the service did not process it";
    if (res->status >= 500 && res->status <= 599)
        return kind == REQUEST_SAFE ? "a GET is safe to repeat"
                                    : "not repeated: the service may have processed it (check before trying again)";
    return "the answer is final";
}
