/* Local files: JSON input read and checked strictly (unknown keys and
 * wrong types refused, naming the key and the closest known one), and the
 * output folder (created, joined without a double slash, checked writable
 * before anything is spent). Errors are printed; functions return 0 or an
 * exit code. */
#ifndef DESCOVO_CLI_FILES_H
#define DESCOVO_CLI_FILES_H

#include <stddef.h>

#include "cli.h"

/* The type a key's value must have. */
typedef enum files_type {
    FT_OBJECT_OR_NULL, FT_OBJECT, FT_BOOLEAN, FT_STRING, FT_COUNT /* integer >= 1 */,
    FT_STRINGS /* array of strings */, FT_ANY
} files_type;

typedef struct files_key {
    const char *name;
    files_type type;
} files_key;

/* Reads a JSON object from path ("-": stdin). NULL with a message printed. */
json_t *files_load_object(const char *path);

/* Checks that obj (an object) has only the keys of known[0..n), each of
 * its type. where prefixes the key in messages ("enrichment."). Returns 0
 * or EXIT_USAGE. */
int files_check(const char *file, const char *where, const json_t *obj, const files_key *known, size_t n);

/* Checks a filters file of set-filters: companySearchParams,
 * prospectSearchParams (objects or null), maxCompanies, maxProspects. */
int files_check_filters(const char *file, const json_t *obj);

/* dir + "/" + name, without doubling a trailing slash of dir. 0 or EXIT_USAGE. */
int files_join(const char *dir, const char *name, char *out, size_t size);

/* Creates dir when missing (one level) and checks that a file can be
 * created in it. 0 or EXIT_IO. */
int files_writable_dir(const char *dir);

/* Writes text to path atomically (path.tmp, then rename). 0 or EXIT_IO. */
int files_write_atomic(const char *path, const char *text);

#endif
