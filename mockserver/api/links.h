/* links: the URLs the simulator hands out in answers and e-mails (an
 * export's downloadUrl, an enrichment's status link). Besides the route
 * table (routes.c), the only place that names a path; test_links checks
 * that every link is one the route table serves.
 *
 * Pure functions: any thread, no lock. */
#ifndef DESCOVO_LINKS_H
#define DESCOVO_LINKS_H

#include <stddef.h>

/* base_url ("http://127.0.0.1:PORT", or "" for a path only) + the path.
 * Each writes a NUL-terminated string into out and returns 0, or -1 when
 * it did not fit (out then holds the cut text). */
int links_download(const char *base_url, const char *export_id, char *out, size_t size);
int links_enrichment_status(const char *base_url, const char *audience_id, char *out, size_t size);

#endif
