/* Download of an export: the body streams into "PATH.part", which is
 * renamed to PATH once complete, so PATH is either whole or untouched. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>

#include "internal.h"

int descovo_download(descovo_client *c, const char *url, const char *path,
                     long long *bytes)
{
    char part[4096];
    FILE *file = NULL;
    int rc = -1;
    int created = 0;
    if (c == NULL)
        return -1;
    client_clear_error(c);
    json_decref(c->last);
    c->last = NULL;
    if (bytes != NULL)
        *bytes = 0;
    if (url == NULL || url[0] == '\0' || path == NULL || path[0] == '\0')
        return client_set_error(c, DESCOVO_ERR_USAGE, "descovo_download: a URL and a path are required");
    int n = snprintf(part, sizeof part, "%s.part", path);
    if (n < 0 || (size_t)n >= sizeof part)
        return client_set_error(c, DESCOVO_ERR_USAGE, "path too long: %s", path);

    file = fopen(part, "wb");
    if (file == NULL) {
        client_set_error(c, DESCOVO_ERR_IO, "cannot create %s: %s", part, strerror(errno));
        goto out;
    }
    created = 1;
    /* Events name the path only, as for the API calls. */
    const char *scheme_end = strstr(url, "://");
    const char *url_path = scheme_end != NULL ? strchr(scheme_end + 3, '/') : NULL;
    transport_request req = {
        .method = "GET",
        .url = url,
        .path = url_path != NULL ? url_path : "/",
        .sink = file,
        /* A large export takes longer than an API call. */
        .timeout_ms = c->timeout_ms > LONG_MAX / 10 ? LONG_MAX : c->timeout_ms * 10,
    };
    if (client_perform(c, REQUEST_SAFE, &req) != 0) {
        if (c->err.curl_code == CURLE_WRITE_ERROR)
            client_set_error(c, DESCOVO_ERR_IO, "cannot write %s: %s", part, strerror(errno));
        goto out;
    }
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    long size = ftell(file);
    if (fclose(file) != 0) {
        file = NULL;
        client_set_error(c, DESCOVO_ERR_IO, "cannot write %s: %s", part, strerror(errno));
        goto out;
    }
    file = NULL;
    if (rename(part, path) != 0) {
        client_set_error(c, DESCOVO_ERR_IO, "cannot rename %s to %s: %s", part, path, strerror(errno));
        goto out;
    }
    created = 0;
    if (bytes != NULL)
        *bytes = size;
    c->err.http_status = status;
    rc = 0;
out:
    if (file != NULL)
        fclose(file);
    if (created)
        remove(part);
    return rc;
}
