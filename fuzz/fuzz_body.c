/* libFuzzer target: the JSON body of every endpoint that takes one. The
 * first byte picks the endpoint (with a real audience id in its path), the
 * rest is the body, as sent with Content-Type: application/json. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_app.h"

static const struct {
    const char *method;
    const char *path;
} endpoints[] = {
    {"POST", "/v1/audiences/create"},
    {"PATCH", "/v1/audiences/@D/search-params"},
    {"POST", "/v1/audiences/@D/build"},
    {"POST", "/v1/audiences/@N/enrichment/estimate"},
    {"POST", "/v1/audiences/@N/enrich"},
    {"POST", "/v1/audiences/@N/export/companies"},
    {"POST", "/v1/audiences/@N/export/prospects"},
    {"POST", "/_mock/clock/advance"},
    {"PUT", "/_mock/accounts/sk_fuzz_side_key"},
    {"PATCH", "/v1/audiences/@N/search-params"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_app_begin_input();
    size_t e = data[0] % (sizeof endpoints / sizeof endpoints[0]);
    fuzz_app_request(endpoints[e].method, endpoints[e].path, NULL, 0, "application/json",
                     (const char *)data + 1, size - 1);
    return 0;
}
