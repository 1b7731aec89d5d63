#include "drift/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

size_t drift_run_drift(const drift_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->diffs.n; i++)
        n += run->diffs.items[i].known_reason == NULL;
    return n;
}

/* The endpoints in order of first appearance among differences and skips. */
static size_t endpoint_order(const drift_run *run, const char **order, size_t max)
{
    size_t n = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        size_t count = pass == 0 ? run->diffs.n : run->n_skips;
        for (size_t i = 0; i < count; i++) {
            const char *e = pass == 0 ? run->diffs.items[i].endpoint : run->skips[i].endpoint;
            size_t j = 0;
            while (j < n && strcmp(order[j], e) != 0)
                j++;
            if (j == n && n < max)
                order[n++] = e;
        }
    }
    return n;
}

#define MAX_ENDPOINTS 256

static void write_text(const drift_run *run, const drift_known *known, FILE *out)
{
    size_t drift = drift_run_drift(run);
    fprintf(out, "drift: %s: %zu entries, %zu compared, %zu not compared\n", run->file, run->entries, run->compared,
            run->n_skips);
    const char *order[MAX_ENDPOINTS];
    size_t n = endpoint_order(run, order, MAX_ENDPOINTS);
    for (size_t e = 0; e < n; e++) {
        fprintf(out, "\n%s\n", order[e]);
        for (size_t i = 0; i < run->diffs.n; i++) {
            const drift_diff *d = &run->diffs.items[i];
            if (strcmp(d->endpoint, order[e]) != 0)
                continue;
            fprintf(out, "  entries[%zu] %s: %s: recorded %s, simulated %s\n", d->entry, d->path, d->kind, d->recorded,
                    d->simulated);
            if (d->known_reason != NULL)
                fprintf(out, "      known: %s\n", d->known_reason);
        }
        for (size_t i = 0; i < run->n_skips; i++) {
            if (strcmp(run->skips[i].endpoint, order[e]) == 0)
                fprintf(out, "  entries[%zu] not compared: %s\n", run->skips[i].entry, run->skips[i].reason);
        }
    }
    for (size_t i = 0; known != NULL && i < known->n; i++) {
        if (known->items[i].used == 0)
            fprintf(out, "\nnote: known divergence %zu (%s %s) matched nothing\n", i, known->items[i].endpoint,
                    known->items[i].path);
    }
    fprintf(out, "\n%s: %zu difference%s, %zu known, %zu drift\n", drift == 0 ? "no drift" : "DRIFT", run->diffs.n,
            run->diffs.n == 1 ? "" : "s", run->diffs.n - drift, drift);
}

static int write_json(const drift_run *run, const drift_known *known, FILE *out)
{
    json_t *diffs = json_array();
    for (size_t i = 0; i < run->diffs.n; i++) {
        const drift_diff *d = &run->diffs.items[i];
        json_array_append_new(diffs, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s?}", "entry", (json_int_t)d->entry,
                                               "endpoint", d->endpoint, "path", d->path, "kind", d->kind, "recorded",
                                               d->recorded, "simulated", d->simulated, "known", d->known_reason));
    }
    json_t *skips = json_array();
    for (size_t i = 0; i < run->n_skips; i++)
        json_array_append_new(skips, json_pack("{s:I, s:s, s:s}", "entry", (json_int_t)run->skips[i].entry,
                                               "endpoint", run->skips[i].endpoint, "reason", run->skips[i].reason));
    json_t *unused = json_array();
    for (size_t i = 0; known != NULL && i < known->n; i++) {
        if (known->items[i].used == 0)
            json_array_append_new(unused, json_pack("{s:I, s:s, s:s}", "index", (json_int_t)i, "endpoint",
                                                    known->items[i].endpoint, "path", known->items[i].path));
    }
    json_t *doc = json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "file", run->file, "entries",
                            (json_int_t)run->entries, "compared", (json_int_t)run->compared, "drift",
                            (json_int_t)drift_run_drift(run), "known", (json_int_t)(run->diffs.n - drift_run_drift(run)),
                            "differences", diffs, "notCompared", skips, "unusedKnown", unused);
    int rc = doc != NULL ? json_dumpf(doc, out, JSON_INDENT(2)) : -1;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}

static void xml_escaped(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, out);
        }
    }
}

/* One test case per entry: failed when it has drift, skipped when not
 * compared. */
static void write_junit(const drift_run *run, FILE *out)
{
    size_t failures = 0;
    for (size_t e = 0; e < run->entries; e++) {
        for (size_t i = 0; i < run->diffs.n; i++) {
            if (run->diffs.items[i].entry == e && run->diffs.items[i].known_reason == NULL) {
                failures++;
                break;
            }
        }
    }
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(out, "<testsuite name=\"drift\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            run->entries, failures, run->n_skips);
    for (size_t e = 0; e < run->entries; e++) {
        const char *endpoint = run->endpoints + e * 160;
        fputs("  <testcase classname=\"", out);
        xml_escaped(out, endpoint);
        fprintf(out, "\" name=\"entries[%zu]\">\n", e);
        for (size_t i = 0; i < run->n_skips; i++) {
            if (run->skips[i].entry == e) {
                fputs("    <skipped message=\"", out);
                xml_escaped(out, run->skips[i].reason);
                fputs("\"/>\n", out);
            }
        }
        int open = 0;
        for (size_t i = 0; i < run->diffs.n; i++) {
            const drift_diff *d = &run->diffs.items[i];
            if (d->entry != e || d->known_reason != NULL)
                continue;
            if (!open)
                fputs("    <failure message=\"drift\">", out);
            open = 1;
            fprintf(out, "%s: %s: recorded ", d->path, d->kind);
            xml_escaped(out, d->recorded);
            fputs(", simulated ", out);
            xml_escaped(out, d->simulated);
            fputs("\n", out);
        }
        if (open)
            fputs("</failure>\n", out);
        for (size_t i = 0; i < run->diffs.n; i++) {
            const drift_diff *d = &run->diffs.items[i];
            if (d->entry != e || d->known_reason == NULL)
                continue;
            fprintf(out, "    <system-out>known: %s: %s: ", d->path, d->kind);
            xml_escaped(out, d->known_reason);
            fputs("</system-out>\n", out);
        }
        fputs("  </testcase>\n", out);
    }
    fputs("</testsuite>\n</testsuites>\n", out);
}

int drift_report_write(const drift_run *run, const drift_known *known, const char *format, FILE *out)
{
    if (strcmp(format, "json") == 0) {
        if (write_json(run, known, out) != 0)
            return -1;
    } else if (strcmp(format, "junit") == 0) {
        write_junit(run, out);
    } else {
        write_text(run, known, out);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
