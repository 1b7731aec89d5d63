#include "api/links.h"

#include <stdio.h>

static int fits(int n, size_t size)
{
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

int links_download(const char *base_url, const char *export_id, char *out, size_t size)
{
    return fits(snprintf(out, size, "%s/v1/exports/%s", base_url, export_id), size);
}

int links_enrichment_status(const char *base_url, const char *audience_id, char *out, size_t size)
{
    return fits(snprintf(out, size, "%s/v1/audiences/%s/enrichment/status", base_url, audience_id), size);
}
