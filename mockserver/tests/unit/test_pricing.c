/* Unit tests of pricing: credits of an enrichment on a small hand-made
 * dataset (figures worked out by hand) and on a generated one (figures
 * recomputed here from the records' contact bits), and the estimate's JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/pricing.h"

#define W DS_CONTACT_WORK_EMAIL
#define P DS_CONTACT_PERSONAL_EMAIL
#define H DS_CONTACT_PHONE

/* Four companies, ten prospects:
 *   c0: p0 W|P|H, p1 W, p2 -
 *   c1: p3 P|H, p4 H
 *   c2: p5 W|P, p6 W|H
 *   c3: p7 -, p8 W, p9 P */
static ds_company small_companies[4] = {
    {.first_prospect = 0, .employee_count = 10},
    {.first_prospect = 3, .employee_count = 10},
    {.first_prospect = 5, .employee_count = 10},
    {.first_prospect = 7, .employee_count = 10},
};

static ds_prospect small_prospects[10] = {
    {.company = 0, .contacts = W | P | H},
    {.company = 0, .contacts = W},
    {.company = 0, .contacts = 0},
    {.company = 1, .contacts = P | H},
    {.company = 1, .contacts = H},
    {.company = 2, .contacts = W | P},
    {.company = 2, .contacts = W | H},
    {.company = 3, .contacts = 0},
    {.company = 3, .contacts = W},
    {.company = 3, .contacts = P},
};

static dataset small_dataset(void)
{
    dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.seed = 1;
    ds.companies = small_companies;
    ds.n_companies = 4;
    ds.prospects = small_prospects;
    ds.n_prospects = 10;
    return ds;
}

static const uint32_t in_order[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

static enrichment_options all_options(uint32_t max)
{
    enrichment_options o = {
        .max_prospects = max,
        .get_work_emails = 1,
        .get_personal_emails = 1,
        .get_phone_numbers = 1,
        .run_company_live = 1,
        .run_profile_live = 1,
        .run_sales_nav = 1,
        .run_contact = 1,
    };
    return o;
}

typedef struct expected_cost {
    size_t n_prospects, n_companies, n_work, n_personal, n_phones;
    int64_t live_company, live_prospect, waterfall, total;
} expected_cost;

static void expect_cost(const enrichment_cost *c, expected_cost e)
{
    assert_int_equal(c->n_prospects, e.n_prospects);
    assert_int_equal(c->n_companies, e.n_companies);
    assert_int_equal(c->n_work_emails, e.n_work);
    assert_int_equal(c->n_personal_emails, e.n_personal);
    assert_int_equal(c->n_phones, e.n_phones);
    assert_int_equal(c->live_company, e.live_company);
    assert_int_equal(c->live_prospect, e.live_prospect);
    assert_int_equal(c->waterfall, e.waterfall);
    assert_int_equal(c->total, e.total);
    assert_int_equal(c->total, c->live_company + c->live_prospect + c->waterfall);
}

static void test_prices(void **state)
{
    (void)state;
    /* The documented prices. */
    assert_int_equal(PRICE_WORK_EMAIL, 2);
    assert_int_equal(PRICE_PERSONAL_EMAIL, 2);
    assert_int_equal(PRICE_PHONE, 3);
    assert_int_equal(PRICE_LIVE_PROSPECT, 1);
    assert_int_equal(PRICE_LIVE_COMPANY, 1);
}

static void test_everything(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_options o = all_options(100);
    enrichment_cost c;
    memset(&c, 0xab, sizeof c);
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    /* W 5 x 2 + P 4 x 2 + H 4 x 3 = 30; 10 prospects; 4 companies. */
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 4, 10, 30, 44});
}

static void test_requested_types_only(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;

    enrichment_options o = all_options(100);
    o.get_personal_emails = 0;
    o.get_phone_numbers = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 0, 0, 4, 10, 10, 24});

    o = all_options(100);
    o.get_work_emails = 0;
    o.get_phone_numbers = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 0, 4, 0, 4, 10, 8, 22});

    o = all_options(100);
    o.get_work_emails = 0;
    o.get_personal_emails = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 0, 0, 4, 4, 10, 12, 26});

    o = all_options(100);
    o.get_work_emails = 0;
    o.get_personal_emails = 0;
    o.get_phone_numbers = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 0, 0, 0, 4, 10, 0, 14});
}

static void test_contact_only_when_run(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;
    enrichment_options o = all_options(100);
    o.run_contact = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 0, 0, 0, 4, 10, 0, 14});
}

static void test_live_flags(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;

    enrichment_options o = all_options(100);
    o.run_profile_live = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 4, 0, 30, 34});

    o = all_options(100);
    o.run_company_live = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 0, 10, 30, 40});

    /* Sales Navigator is free. */
    o = all_options(100);
    o.run_sales_nav = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 4, 10, 30, 44});

    o = all_options(100);
    o.run_company_live = 0;
    o.run_profile_live = 0;
    o.run_contact = 0;
    o.run_sales_nav = 0;
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    assert_int_equal(c.total, 0);
    assert_int_equal(c.n_prospects, 10);
}

static void test_max_prospects(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;

    /* The first three: p0 W|P|H, p1 W, p2 -; all of c0. */
    enrichment_options o = all_options(3);
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){3, 1, 2, 1, 1, 1, 3, 9, 13});

    o = all_options(1);
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){1, 1, 1, 1, 1, 1, 1, 7, 9});

    /* Exactly the audience, and more than it. */
    o = all_options(10);
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 4, 10, 30, 44});
    o = all_options(UINT32_MAX);
    pricing_enrichment(&ds, in_order, 10, &o, &c);
    expect_cost(&c, (expected_cost){10, 4, 5, 4, 4, 4, 10, 30, 44});

    /* The cap takes the first ones in audience order, not the lowest ids. */
    static const uint32_t reversed[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    o = all_options(3);
    pricing_enrichment(&ds, reversed, 10, &o, &c);
    /* p9 P, p8 W, p7 -: all of c3. */
    expect_cost(&c, (expected_cost){3, 1, 1, 1, 0, 1, 3, 4, 8});
}

static void test_empty_audience(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;
    enrichment_options o = all_options(100);
    memset(&c, 0xab, sizeof c);
    pricing_enrichment(&ds, in_order, 0, &o, &c);
    expect_cost(&c, (expected_cost){0, 0, 0, 0, 0, 0, 0, 0, 0});
}

/* START_FROM_PROSPECTS audiences list prospects in search order, so a
 * company's prospects need not be next to each other. */
static void test_companies_not_adjacent(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;
    /* companies:                       c1 c0 c1 c0 c3 c2 c0 */
    static const uint32_t mixed[7] = {3, 0, 4, 1, 7, 5, 2};

    enrichment_options o = all_options(100);
    pricing_enrichment(&ds, mixed, 7, &o, &c);
    /* W: p0 p1 p5 = 3; P: p3 p0 p5 = 3; H: p3 p0 p4 = 3 -> 6 + 6 + 9. */
    expect_cost(&c, (expected_cost){7, 4, 3, 3, 3, 4, 7, 21, 32});

    /* The first five: c1 c0 c1 c0 c3, three distinct (five runs). */
    o = all_options(5);
    pricing_enrichment(&ds, mixed, 7, &o, &c);
    /* W: p0 p1 = 2; P: p3 p0 = 2; H: p3 p0 p4 = 3 -> 4 + 4 + 9. */
    expect_cost(&c, (expected_cost){5, 3, 2, 2, 3, 3, 5, 17, 25});

    /* One company, interleaved with itself only. */
    static const uint32_t same[3] = {2, 0, 1};
    o = all_options(100);
    pricing_enrichment(&ds, same, 3, &o, &c);
    assert_int_equal(c.n_companies, 1);
    assert_int_equal(c.live_company, 1);
}

/* Recomputes a cost from the records, without pricing.c. */
static void reference_cost(const dataset *ds, const uint32_t *prospects, size_t n,
                           const enrichment_options *o, expected_cost *e)
{
    memset(e, 0, sizeof *e);
    size_t take = n < o->max_prospects ? n : o->max_prospects;
    bool *seen = calloc(ds->n_companies, sizeof *seen);
    assert_non_null(seen);
    e->n_prospects = take;
    for (size_t i = 0; i < take; i++) {
        const ds_prospect *p = &ds->prospects[prospects[i]];
        if (!seen[p->company]) {
            seen[p->company] = true;
            e->n_companies++;
        }
        if (!o->run_contact)
            continue;
        if (o->get_work_emails && (p->contacts & DS_CONTACT_WORK_EMAIL))
            e->n_work++;
        if (o->get_personal_emails && (p->contacts & DS_CONTACT_PERSONAL_EMAIL))
            e->n_personal++;
        if (o->get_phone_numbers && (p->contacts & DS_CONTACT_PHONE))
            e->n_phones++;
    }
    free(seen);
    e->waterfall = 2 * (int64_t)e->n_work + 2 * (int64_t)e->n_personal + 3 * (int64_t)e->n_phones;
    e->live_prospect = o->run_profile_live ? (int64_t)take : 0;
    e->live_company = o->run_company_live ? (int64_t)e->n_companies : 0;
    e->total = e->waterfall + e->live_prospect + e->live_company;
}

/* One of the 128 combinations of the seven switches, by its bits. */
static enrichment_options options_of(uint32_t max_prospects, unsigned flags)
{
    return (enrichment_options){
        .max_prospects = max_prospects,
        .get_work_emails = (flags & 1) != 0,
        .get_personal_emails = (flags & 2) != 0,
        .get_phone_numbers = (flags & 4) != 0,
        .run_company_live = (flags & 8) != 0,
        .run_profile_live = (flags & 16) != 0,
        .run_sales_nav = (flags & 32) != 0,
        .run_contact = (flags & 64) != 0,
    };
}

static void test_generated_dataset(void **state)
{
    (void)state;
    dataset *ds = dataset_generate(42, 50);
    assert_non_null(ds);
    assert_true(ds->n_prospects > 50);
    size_t n = ds->n_prospects;
    uint32_t *order = malloc(n * sizeof *order);
    assert_non_null(order);

    /* Audience order: the whole database in id order, then a stride that
     * scatters each company's prospects (7 and n coprime, else 11). */
    size_t stride = n % 7 != 0 ? 7 : 11;
    for (int layout = 0; layout < 2; layout++) {
        for (size_t i = 0; i < n; i++)
            order[i] = layout == 0 ? (uint32_t)i : (uint32_t)((i * stride) % n);
        static const uint32_t caps[] = {1, 7, 40, 100000};
        for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
            for (unsigned flags = 0; flags < 128; flags++) {
                enrichment_options o = options_of(caps[k], flags);
                expected_cost e;
                enrichment_cost c;
                reference_cost(ds, order, n, &o, &e);
                pricing_enrichment(ds, order, n, &o, &c);
                expect_cost(&c, e);
            }
        }
    }
    /* The generated data has every contact type somewhere. */
    enrichment_options o = all_options(100000);
    enrichment_cost c;
    pricing_enrichment(ds, order, n, &o, &c);
    assert_true(c.n_work_emails > 0);
    assert_true(c.n_personal_emails > 0);
    assert_true(c.n_phones > 0);
    assert_int_equal(c.n_companies, ds->n_companies);
    free(order);
    dataset_free(ds);
}

static int same_cost(const enrichment_cost *a, const enrichment_cost *b)
{
    return a->n_prospects == b->n_prospects && a->n_companies == b->n_companies &&
           a->n_work_emails == b->n_work_emails && a->n_personal_emails == b->n_personal_emails &&
           a->n_phones == b->n_phones && a->live_company == b->live_company &&
           a->live_prospect == b->live_prospect && a->waterfall == b->waterfall && a->total == b->total;
}

/* The index changes how the cost is counted, never the cost: against the
 * scan, for every option, at and around every block boundary, on the whole
 * database in order, on a sorted subset, and (no index) on a shuffle. */
static void test_index_matches_scan(void **state)
{
    (void)state;
    dataset *ds = dataset_generate(7, 600);
    assert_non_null(ds);
    size_t n = ds->n_prospects;
    assert_true(n > 3 * PRICING_BLOCK);
    uint32_t *all = malloc(n * sizeof *all);
    uint32_t *some = malloc(n * sizeof *some);
    uint32_t *shuffled = malloc(n * sizeof *shuffled);
    assert_non_null(all);
    assert_non_null(some);
    assert_non_null(shuffled);
    size_t n_some = 0;
    for (size_t i = 0; i < n; i++) {
        all[i] = (uint32_t)i;
        shuffled[i] = (uint32_t)((i * 7919) % n);
        if ((i * 2654435761u) % 5 < 3)
            some[n_some++] = (uint32_t)i;
    }
    assert_int_not_equal(n % 7919, 0);
    const struct {
        const uint32_t *prospects;
        size_t n;
        int indexed;
    } audiences[] = {{all, n, 1}, {some, n_some, 1}, {shuffled, n, 0}};
    for (size_t a = 0; a < sizeof audiences / sizeof audiences[0]; a++) {
        pricing_index index;
        assert_int_equal(pricing_index_build(ds, audiences[a].prospects, audiences[a].n, &index), 0);
        assert_int_equal(index.checkpoints != NULL, audiences[a].indexed);
        size_t sizes[] = {0, 1, 2, PRICING_BLOCK - 1, PRICING_BLOCK, PRICING_BLOCK + 1, 2 * PRICING_BLOCK,
                          3 * PRICING_BLOCK - 1, audiences[a].n - 1, audiences[a].n, 100000};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            for (unsigned flags = 0; flags < 128; flags++) {
                enrichment_options o = options_of((uint32_t)(sizes[k] > 0 ? sizes[k] : 1), flags);
                size_t given = sizes[k] < audiences[a].n ? sizes[k] : audiences[a].n;
                enrichment_cost scanned;
                enrichment_cost indexed;
                pricing_enrichment(ds, audiences[a].prospects, given, &o, &scanned);
                pricing_enrichment_indexed(ds, audiences[a].prospects, given, &index, &o, &indexed);
                if (!same_cost(&scanned, &indexed))
                    fail_msg("audience %zu, %zu prospects, flags %u: scan total %lld companies %zu, "
                             "index total %lld companies %zu", a, given, flags, (long long)scanned.total,
                             scanned.n_companies, (long long)indexed.total, indexed.n_companies);
            }
        }
        pricing_index_free(&index);
        assert_null(index.checkpoints);
    }
    /* Too short to index, and freeing what is empty. */
    pricing_index small;
    assert_int_equal(pricing_index_build(ds, all, PRICING_BLOCK - 1, &small), 0);
    assert_null(small.checkpoints);
    pricing_index_free(&small);
    pricing_index_free(NULL);
    free(all);
    free(some);
    free(shuffled);
    dataset_free(ds);
}

static void test_revealed_types(void **state)
{
    (void)state;
    for (unsigned flags = 0; flags < 16; flags++) {
        enrichment_options o = all_options(10);
        o.get_work_emails = (flags & 1) != 0;
        o.get_personal_emails = (flags & 2) != 0;
        o.get_phone_numbers = (flags & 4) != 0;
        o.run_contact = (flags & 8) != 0;
        unsigned expected = 0;
        if (o.run_contact) {
            if (o.get_work_emails)
                expected |= DS_CONTACT_WORK_EMAIL;
            if (o.get_personal_emails)
                expected |= DS_CONTACT_PERSONAL_EMAIL;
            if (o.get_phone_numbers)
                expected |= DS_CONTACT_PHONE;
        }
        assert_int_equal(pricing_revealed_types(&o), expected);
    }
    /* The live and Sales Navigator flags reveal nothing by themselves. */
    enrichment_options o = all_options(10);
    o.run_contact = 0;
    assert_int_equal(pricing_revealed_types(&o), 0);
    o = all_options(10);
    o.run_company_live = 0;
    o.run_profile_live = 0;
    o.run_sales_nav = 0;
    assert_int_equal(pricing_revealed_types(&o), DS_CONTACT_ALL);
}

/* The member `key` of obj, which must exist and be of the given kind. */
static json_t *member(json_t *obj, const char *key, json_type type)
{
    assert_true(json_is_object(obj));
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        fail_msg("missing \"%s\"", key);
    if (json_typeof(v) != type) {
        bool both_bool = (type == JSON_TRUE || type == JSON_FALSE) && json_is_boolean(v);
        if (!both_bool)
            fail_msg("\"%s\" has JSON type %d, expected %d", key, (int)json_typeof(v), (int)type);
    }
    return v;
}

static json_int_t int_member(json_t *obj, const char *key)
{
    return json_integer_value(member(obj, key, JSON_INTEGER));
}

/* The estimate as the endpoint writes it, parsed back: it must be JSON. */
static json_t *estimate_json(const enrichment_cost *cost, int64_t duration_ms)
{
    strbuf text = STRBUF_INIT;
    pricing_estimate_write(&text, cost, duration_ms);
    assert_false(text.oom);
    json_error_t error;
    json_t *est = json_loads(text.data, 0, &error);
    if (est == NULL)
        fail_msg("estimate is not JSON: %s (%s)", text.data, error.text);
    strbuf_release(&text);
    return est;
}

static json_t *estimate_of(const dataset *ds, const uint32_t *prospects, size_t n,
                           const enrichment_options *o, int64_t duration_ms,
                           enrichment_cost *cost)
{
    pricing_enrichment(ds, prospects, n, o, cost);
    return estimate_json(cost, duration_ms);
}

static void check_estimate_shape(json_t *est, const enrichment_cost *c)
{
    assert_int_equal(int_member(est, "totalCredits"), c->total);
    json_t *b = member(est, "breakdown", JSON_OBJECT);

    json_t *sales_nav = member(b, "salesNav", JSON_OBJECT);
    assert_int_equal(int_member(sales_nav, "credits"), 0);
    assert_true(json_is_true(member(sales_nav, "isFree", JSON_TRUE)));

    json_t *live_company = member(b, "liveCompany", JSON_OBJECT);
    assert_int_equal(int_member(live_company, "credits"), c->live_company);
    member(live_company, "discounted", JSON_TRUE);

    json_t *live_prospect = member(b, "liveProspect", JSON_OBJECT);
    assert_int_equal(int_member(live_prospect, "credits"), c->live_prospect);
    member(live_prospect, "discounted", JSON_TRUE);

    json_t *waterfall = member(b, "waterfall", JSON_OBJECT);
    json_int_t wf = int_member(waterfall, "credits");
    assert_int_equal(wf, c->waterfall);
    assert_true(int_member(waterfall, "originalCredits") >= wf);
    assert_true(json_is_number(json_object_get(waterfall, "discount")));
    json_t *ops = member(waterfall, "operations", JSON_OBJECT);
    json_int_t work = int_member(ops, "workEmail");
    json_int_t personal = int_member(ops, "personalEmail");
    json_int_t phone = int_member(ops, "phone");
    assert_int_equal(work, PRICE_WORK_EMAIL * (json_int_t)c->n_work_emails);
    assert_int_equal(personal, PRICE_PERSONAL_EMAIL * (json_int_t)c->n_personal_emails);
    assert_int_equal(phone, PRICE_PHONE * (json_int_t)c->n_phones);
    assert_int_equal(work + personal + phone, wf);

    json_t *validation = member(b, "validation", JSON_OBJECT);
    assert_int_equal(int_member(validation, "credits"), 0);
    assert_true(json_is_true(member(validation, "isFree", JSON_TRUE)));

    /* The lines add up to the total. */
    assert_int_equal(int_member(sales_nav, "credits") + int_member(live_company, "credits") +
                         int_member(live_prospect, "credits") + wf +
                         int_member(validation, "credits"),
                     int_member(est, "totalCredits"));

    json_t *time = member(est, "timeEstimate", JSON_OBJECT);
    assert_true(int_member(time, "totalSeconds") >= 0);
    assert_true(strlen(json_string_value(member(time, "formatted", JSON_STRING))) > 0);
}

static void test_estimate_json_shape(void **state)
{
    (void)state;
    dataset ds = small_dataset();
    enrichment_cost c;

    enrichment_options o = all_options(100);
    json_t *est = estimate_of(&ds, in_order, 10, &o, 45000, &c);
    check_estimate_shape(est, &c);
    assert_int_equal(int_member(est, "totalCredits"), 44);
    json_decref(est);

    static const uint32_t mixed[7] = {3, 0, 4, 1, 7, 5, 2};
    o = all_options(5);
    o.get_personal_emails = 0;
    est = estimate_of(&ds, mixed, 7, &o, 1000, &c);
    check_estimate_shape(est, &c);
    json_decref(est);

    o = all_options(100);
    o.run_contact = 0;
    o.run_company_live = 0;
    o.run_profile_live = 0;
    est = estimate_of(&ds, in_order, 10, &o, 1000, &c);
    check_estimate_shape(est, &c);
    assert_int_equal(int_member(est, "totalCredits"), 0);
    json_decref(est);
}

static void expect_time(int64_t duration_ms, json_int_t seconds, const char *formatted_prefix,
                        const char *formatted_exact)
{
    enrichment_cost c;
    memset(&c, 0, sizeof c);
    enrichment_options o = all_options(1);
    (void)o;
    json_t *est = estimate_json(&c, duration_ms);
    json_t *time = member(est, "timeEstimate", JSON_OBJECT);
    assert_int_equal(int_member(time, "totalSeconds"), seconds);
    const char *f = json_string_value(member(time, "formatted", JSON_STRING));
    if (formatted_exact != NULL && strcmp(f, formatted_exact) != 0)
        fail_msg("%lld ms: expected \"%s\", got \"%s\"", (long long)duration_ms, formatted_exact, f);
    if (formatted_prefix != NULL && strncmp(f, formatted_prefix, strlen(formatted_prefix)) != 0)
        fail_msg("%lld ms: expected \"%s...\", got \"%s\"", (long long)duration_ms, formatted_prefix, f);
    json_decref(est);
}

static void test_time_estimate(void **state)
{
    (void)state;
    expect_time(45000, 45, NULL, "45s");
    expect_time(125000, 125, NULL, "2m 5s");
    /* An hour and more: hours and minutes lead; whether seconds follow is
     * the simulator's choice. */
    expect_time(3700000, 3700, "1h 1m", NULL);
    expect_time(0, 0, NULL, NULL);
    expect_time(60000, 60, "1m", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_everything),
        cmocka_unit_test(test_requested_types_only),
        cmocka_unit_test(test_contact_only_when_run),
        cmocka_unit_test(test_live_flags),
        cmocka_unit_test(test_max_prospects),
        cmocka_unit_test(test_empty_audience),
        cmocka_unit_test(test_companies_not_adjacent),
        cmocka_unit_test(test_generated_dataset),
        cmocka_unit_test(test_index_matches_scan),
        cmocka_unit_test(test_revealed_types),
        cmocka_unit_test(test_estimate_json_shape),
        cmocka_unit_test(test_time_estimate),
    };
    return cmocka_run_group_tests_name("pricing", tests, NULL, NULL);
}
