/* Echoes: answers that name another audience or enrichment, or lose what
 * the request set. */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const zero_audience = "aud_0000000000000000";

static void wrong_audience_id(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "audienceId", zero_audience);
}

static void build_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/build", wrong_audience_id);
}

static void page_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/companies", wrong_audience_id);
    edit_output(p, x, "GET", "/v1/audiences/*/prospects", wrong_audience_id);
}

static void enrich_wrong_audience_id(proxy *p, exchange *x)
{
    edit_output(p, x, "POST", "/v1/audiences/*/enrich", wrong_audience_id);
}

static void zero_enrichment_id(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "enrichmentId", "enr_0000000000000000");
}

static void enrichment_id_mismatch(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*/enrichment/status", zero_enrichment_id);
}

static void no_caps(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    json_object_del(out, "maxCompanies");
    json_object_del(out, "maxProspects");
}

static void search_params_caps_not_echoed(proxy *p, exchange *x)
{
    edit_output(p, x, "PATCH", "/v1/audiences/*/search-params", no_caps);
}

static void empty_filters(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    if (json_is_object(json_object_get(out, "companySearchParams")))
        json_object_set_new(out, "companySearchParams", json_object());
}

static void search_params_filters_not_echoed(proxy *p, exchange *x)
{
    edit_output(p, x, "PATCH", "/v1/audiences/*/search-params", empty_filters);
}

static void default_method(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "creationMethod", "NORMAL");
}

static void status_creation_method_default(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", default_method);
}

static void truncated_names(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        char name[25];
        snprintf(name, sizeof name, "%s", json_string_value(json_object_get(item, "name")));
        set_string(item, "name", name);
    }
}

static void list_wrong_name(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences", truncated_names);
}

static void epoch_created(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    set_string(out, "createdAt", "1970-01-01T00:00:00.000Z");
}

static void created_at_drifts(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences/*", epoch_created);
}

static void zero_prospects(proxy *p, exchange *x, json_t *out)
{
    (void)p;
    (void)x;
    const json_t *list = json_object_get(out, "audiences");
    for (size_t i = 0; i < json_array_size(list); i++)
        json_object_set_new(json_array_get(list, i), "prospectsCount", json_integer(0));
}

static void list_prospects_count_zero(proxy *p, exchange *x)
{
    edit_output(p, x, "GET", "/v1/audiences", zero_prospects);
}

static const mode table[] = {
    {"build-wrong-audience-id", "the build answer names another audience", NULL, build_wrong_audience_id},
    {"page-wrong-audience-id", "record pages name another audience", NULL, page_wrong_audience_id},
    {"enrich-wrong-audience-id", "the enrich answer names another audience", NULL, enrich_wrong_audience_id},
    {"enrichment-id-mismatch", "the enrichment status reports another enrichmentId", NULL, enrichment_id_mismatch},
    {"search-params-caps-not-echoed", "search-params answers lose maxCompanies and maxProspects", NULL,
     search_params_caps_not_echoed},
    {"search-params-filters-not-echoed", "search-params answers echo empty company filters", NULL,
     search_params_filters_not_echoed},
    {"status-creation-method-default", "the status always says creationMethod NORMAL", NULL,
     status_creation_method_default},
    {"list-wrong-name", "the list cuts names to 24 bytes", NULL, list_wrong_name},
    {"created-at-drifts", "the status reports createdAt as the epoch", NULL, created_at_drifts},
    {"list-prospects-count-zero", "the list reports 0 prospects for every audience", NULL, list_prospects_count_zero},
};

const mode_table defects_echoes = {table, sizeof table / sizeof table[0]};
