/* JSON input checked strictly, and the output folder. */
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "suggest.h"

#define MAX_KEYS 32

json_t *files_load_object(const char *path)
{
    json_error_t error;
    json_t *value = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &error)
                                           : json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (value == NULL) {
        if (error.line < 0)
            cli_error(EXIT_USAGE, "%s: %s", path, error.text);
        else
            cli_error(EXIT_USAGE, "%s:%d:%d: %s", path, error.line, error.column, error.text);
        return NULL;
    }
    if (!json_is_object(value)) {
        cli_error(EXIT_USAGE, "%s: expected a JSON object", path);
        json_decref(value);
        return NULL;
    }
    return value;
}

static const char *type_name(files_type t)
{
    switch (t) {
    case FT_OBJECT_OR_NULL: return "an object or null";
    case FT_OBJECT: return "an object";
    case FT_BOOLEAN: return "true or false";
    case FT_STRING: return "a string";
    case FT_COUNT: return "an integer >= 1";
    case FT_STRINGS: return "an array of strings";
    default: return "any value";
    }
}

static int type_ok(files_type t, const json_t *v)
{
    switch (t) {
    case FT_OBJECT_OR_NULL: return json_is_object(v) || json_is_null(v);
    case FT_OBJECT: return json_is_object(v);
    case FT_BOOLEAN: return json_is_boolean(v);
    case FT_STRING: return json_is_string(v);
    case FT_COUNT: return json_is_integer(v) && json_integer_value(v) >= 1;
    case FT_STRINGS: {
        if (!json_is_array(v))
            return 0;
        size_t i;
        const json_t *s;
        json_array_foreach(v, i, s) {
            if (!json_is_string(s))
                return 0;
        }
        return 1;
    }
    default: return 1;
    }
}

int files_check(const char *file, const char *where, const json_t *obj, const files_key *known, size_t n)
{
    const char *names[MAX_KEYS];
    for (size_t i = 0; i < n && i < MAX_KEYS; i++)
        names[i] = known[i].name;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        size_t i = 0;
        while (i < n && strcmp(known[i].name, key) != 0)
            i++;
        if (i == n) {
            const char *close = suggest_closest(key, names, n < MAX_KEYS ? n : MAX_KEYS);
            if (close != NULL)
                return cli_error(EXIT_USAGE, "%s: unknown key \"%s%s\"; did you mean \"%s%s\"?", file, where, key,
                                 where, close);
            return cli_error(EXIT_USAGE, "%s: unknown key \"%s%s\"", file, where, key);
        }
        if (!type_ok(known[i].type, value))
            return cli_error(EXIT_USAGE, "%s: \"%s%s\" must be %s", file, where, key, type_name(known[i].type));
    }
    return 0;
}

int files_check_filters(const char *file, const json_t *obj)
{
    static const files_key keys[] = {
        {"companySearchParams", FT_OBJECT_OR_NULL}, {"prospectSearchParams", FT_OBJECT_OR_NULL},
        {"maxCompanies", FT_COUNT}, {"maxProspects", FT_COUNT},
    };
    return files_check(file, "", obj, keys, sizeof keys / sizeof keys[0]);
}

int files_join(const char *dir, const char *name, char *out, size_t size)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    int slash = !(len == 1 && dir[0] == '/');
    int n = snprintf(out, size, "%.*s%s%s", (int)len, dir, slash ? "/" : "", name);
    if (n < 0 || (size_t)n >= size)
        return cli_error(EXIT_USAGE, "--out: path too long: %s", dir);
    return 0;
}

int files_writable_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (mkdir(dir, 0777) != 0)
            return cli_error(EXIT_IO, "cannot create the output folder %s: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return cli_error(EXIT_IO, "%s: not a directory", dir);
    }
    /* access(W_OK) says yes to root on a read-only file system: try. */
    char probe[4096];
    if (files_join(dir, ".descovo-write-check-XXXXXX", probe, sizeof probe) != 0)
        return EXIT_USAGE;
    int fd = mkstemp(probe);
    if (fd < 0)
        return cli_error(EXIT_IO, "cannot write into %s: %s", dir, strerror(errno));
    close(fd);
    unlink(probe);
    return 0;
}

int files_write_atomic(const char *path, const char *text)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return cli_error(EXIT_USAGE, "path too long: %s", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return cli_error(EXIT_IO, "cannot write %s: %s", tmp, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return cli_error(EXIT_IO, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}
