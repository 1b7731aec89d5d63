#include "api/links.h"

#include "text/join.h"

int links_download(const char *base_url, const char *export_id, char *out, size_t size)
{
    return join(out, size, base_url, "/v1/exports/", export_id, NULL);
}

int links_enrichment_status(const char *base_url, const char *audience_id, char *out, size_t size)
{
    return join(out, size, base_url, "/v1/audiences/", audience_id, "/enrichment/status", NULL);
}

int links_build(const char *base_url, const char *audience_id, char *out, size_t size)
{
    return join(out, size, base_url, "/v1/audiences/", audience_id, "/build", NULL);
}

int links_enrich(const char *base_url, const char *audience_id, char *out, size_t size)
{
    return join(out, size, base_url, "/v1/audiences/", audience_id, "/enrich", NULL);
}

int links_account(const char *base_url, const char *api_key, char *out, size_t size)
{
    return join(out, size, base_url, "/_mock/accounts/", api_key, NULL);
}

int links_scenarios(const char *base_url, char *out, size_t size)
{
    return join(out, size, base_url, "/_mock/scenarios", NULL);
}
