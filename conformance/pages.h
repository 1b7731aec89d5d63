/* pages: walking an audience's record pages
 * (GET /v1/audiences/{id}/companies|prospects?pageSize=&cursor=) and the
 * paging rules any server must keep. */
#ifndef CONF_PAGES_H
#define CONF_PAGES_H

#include <jansson.h>

#include "suite.h"

/* Follows nextCursor from the first page with the given pageSize until a
 * page says hasMore false, and checks on the way: each page's audienceId
 * is id, totalCount never changes (and equals expected_total unless that
 * is negative), hasMore agrees with nextCursor, no page holds more than
 * page_size items, a page that claims more is not empty (on the mock: it
 * is full), once totalCount items are seen no page claims more, the items
 * in all add up to totalCount, and no record (companyId / prospectId) is
 * served twice. kind is "companies" or "prospects". Returns every item in
 * order, a JSON array owned by the case. */
const json_t *pages_walk(conf_case *k, const char *key, const char *id, const char *kind, long page_size,
                         long long expected_total);

#endif
