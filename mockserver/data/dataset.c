/* dataset: generation of the synthetic records and their posting lists.
 *
 * Every record draws its fields from its own random stream, seeded by a hash
 * of (seed, kind, index): a record does not depend on the order in which
 * records are generated, and integer arithmetic only (no libm) keeps the
 * result identical on every machine.
 *
 * The distributions are tables below (weights are relative):
 *   - country: about 45 weighted countries carry 95 % of companies, the other
 *     5 % are spread evenly over every country of the vocabulary;
 *   - size: log-like buckets of employee counts 1..100000, each bucket with
 *     an average number of prospects (about 10.5 per company overall), an
 *     oldest founding age and a stage table;
 *   - industries: 1 to 3, weighted; keywords drawn from each industry's
 *     keyword list plus sometimes one more at random;
 *   - prospects: a founder first in small companies, then titles by
 *     seniority class (half individual contributors, 3 % chief officers),
 *     years of experience by class, tags that follow from the title. */
#include "data/dataset.h"

#include <stdlib.h>
#include <string.h>

#include "data/mix.h"
#include "data/vocab.h"

/* ---- Random streams -------------------------------------------------- */

enum { STREAM_COMPANY = 1, STREAM_PROSPECT = 2 };

typedef struct rng {
    uint64_t state;
} rng;

static rng rng_for(uint64_t seed, uint64_t stream, uint64_t index)
{
    rng r = {mix64_final(seed ^ mix64_final((stream << 56) ^ index ^ 0x5DEECE66Dull))};
    return r;
}

static uint64_t rng_next(rng *r)
{
    r->state += 0x9E3779B97F4A7C15ull;
    return mix64_final(r->state);
}

/* Uniform in [0, n); n > 0. Multiply-shift: no modulo bias worth caring
 * about for the small n used here. */
static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* 1 with probability permille / 1000. */
static int rng_chance(rng *r, uint32_t permille)
{
    return rng_below(r, 1000) < permille;
}

/* In [lo, hi], skewed towards lo: lo + (hi - lo) * u^2. */
static uint32_t rng_skewed(rng *r, uint32_t lo, uint32_t hi)
{
    uint64_t u = rng_next(r) >> 32;
    uint64_t u2 = (u * u) >> 32;
    return lo + (uint32_t)(((uint64_t)(hi - lo) * u2) >> 32);
}

/* ---- Weighted tables -------------------------------------------------- */

#define WTABLE_MAX 64

/* A weighted choice among up to WTABLE_MAX values, picked by a linear walk
 * over cumulative weights (tables are small). */
typedef struct wtable {
    uint16_t value[WTABLE_MAX];
    uint32_t cum[WTABLE_MAX];
    size_t n;
} wtable;

typedef struct named_weight {
    const char *name;
    uint32_t weight;
} named_weight;

static void wtable_add(wtable *t, uint16_t value, uint32_t weight)
{
    uint32_t prev = t->n > 0 ? t->cum[t->n - 1] : 0;
    t->value[t->n] = value;
    t->cum[t->n] = prev + weight;
    t->n++;
}

static uint16_t wtable_pick(const wtable *t, rng *r)
{
    uint32_t x = rng_below(r, t->cum[t->n - 1]);
    size_t i = 0;
    while (t->cum[i] <= x)
        i++;
    return t->value[i];
}

/* Fills t from names resolved with find(). Returns 0, or -1 when a name is
 * unknown (a typo in the tables below; test_dataset would fail). */
static int wtable_from_names(wtable *t, const named_weight *w, size_t n,
                             int (*find)(const char *))
{
    t->n = 0;
    if (n > WTABLE_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = find(w[i].name);
        if (v < 0)
            return -1;
        wtable_add(t, (uint16_t)v, w[i].weight);
    }
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Distribution tables ---------------------------------------------- */

/* Headquarters countries, about the shape of a B2B contact database. */
static const named_weight country_weights[] = {
    {"USA", 330}, {"GBR", 70}, {"DEU", 45}, {"IND", 45}, {"FRA", 38},
    {"CAN", 35}, {"BRA", 30}, {"AUS", 25}, {"NLD", 20}, {"ESP", 20},
    {"ITA", 18}, {"CHN", 12}, {"MEX", 10}, {"JPN", 10}, {"CHE", 10},
    {"SWE", 10}, {"SGP", 8}, {"ISR", 8}, {"ARE", 8}, {"POL", 8},
    {"IRL", 7}, {"BEL", 7}, {"DNK", 6}, {"NOR", 6}, {"AUT", 6},
    {"ARG", 6}, {"ZAF", 6}, {"TUR", 6}, {"KOR", 6}, {"FIN", 5},
    {"COL", 5}, {"NGA", 5}, {"IDN", 5}, {"PRT", 5}, {"CHL", 4},
    {"SAU", 4}, {"HKG", 4}, {"PHL", 4}, {"NZL", 4}, {"UKR", 4},
    {"KEN", 3}, {"EGY", 3}, {"TWN", 3}, {"MYS", 3}, {"VNM", 3},
    {"CZE", 3}, {"ROU", 3},
};
/* Share of companies (per mille) whose country is drawn evenly from the
 * whole vocabulary instead, so that rare countries exist. */
#define RARE_COUNTRY_PERMILLE 50
/* Share of prospects (per mille) who live in their company's country. */
#define SAME_COUNTRY_PERMILLE 900

static const named_weight industry_weights[] = {
    {"Software", 140}, {"Information Technology", 100},
    {"Business Services", 70}, {"Consulting", 60},
    {"Marketing & Advertising", 60}, {"Finance", 60}, {"Healthcare", 60},
    {"Artificial Intelligence", 50}, {"Manufacturing", 50}, {"Retail", 50},
    {"Education", 50}, {"Real Estate", 40}, {"Construction", 40},
    {"Media", 30}, {"Consumer Goods", 30}, {"Food & Beverage", 30},
    {"Logistics", 30}, {"Transportation", 30}, {"Hospitality", 30},
    {"Cloud", 30}, {"Insurance", 25}, {"Legal", 25}, {"Energy", 25},
    {"Life Sciences", 25}, {"Design", 20}, {"Entertainment", 20},
    {"Nonprofit", 20}, {"Telecom", 20}, {"Security", 20},
    {"Consumer Services", 20}, {"Hardware", 15}, {"Automotive", 15},
    {"Industrials", 15}, {"Travel & Tourism", 15}, {"Gaming", 12},
    {"Science & Engineering", 12}, {"Administrative Services", 12},
    {"Events", 10}, {"Sports", 10}, {"Publishing", 10}, {"Government", 10},
    {"Environmental", 10}, {"Farming & Agriculture", 10}, {"Trade", 10},
    {"Arts & Music", 10}, {"Utilities", 8}, {"Aerospace & Military", 8},
    {"Mining", 6}, {"Venture Capital", 6},
};

/* Keywords that go with an industry; industries not listed use
 * generic_keywords. */
typedef struct industry_keywords {
    const char *industry;
    const char *keywords[10];
} industry_keywords;

static const char *const generic_keywords[] = {
    "b2b", "b2c", "consulting", "outsourcing", "sustainability", "crm", NULL,
};

static const industry_keywords industry_keyword_table[] = {
    {"Software", {"saas", "b2b", "enterprise software", "cloud computing",
                  "devops", "api", "developer tools", "open source",
                  "no-code", "mobile apps"}},
    {"Information Technology", {"cloud computing", "cybersecurity",
                                "outsourcing", "devops", "enterprise software",
                                "b2b", "data analytics", "iot"}},
    {"Artificial Intelligence", {"machine learning", "artificial intelligence",
                                 "generative ai", "data analytics", "big data",
                                 "saas", "robotics", "api"}},
    {"Cloud", {"cloud computing", "saas", "devops", "api", "open source",
               "big data", "developer tools"}},
    {"Finance", {"fintech", "payments", "banking", "blockchain", "crypto",
                 "b2b", "data analytics", "saas"}},
    {"Insurance", {"insurtech", "fintech", "b2c", "data analytics"}},
    {"Venture Capital", {"fintech", "b2b", "saas", "consulting"}},
    {"Healthcare", {"healthtech", "digital health", "medical devices", "b2c",
                    "saas", "artificial intelligence"}},
    {"Life Sciences", {"biotech", "medical devices", "healthtech",
                       "machine learning", "big data"}},
    {"Retail", {"e-commerce", "retail tech", "marketplace", "b2c",
                "payments", "mobile apps"}},
    {"Consumer Goods", {"e-commerce", "b2c", "sustainability", "retail tech",
                        "marketplace"}},
    {"Education", {"edtech", "online learning", "saas", "b2c", "mobile apps"}},
    {"Logistics", {"logistics", "supply chain", "fleet management", "iot",
                   "b2b", "marketplace"}},
    {"Transportation", {"logistics", "fleet management", "electric vehicles",
                        "mobile apps", "supply chain"}},
    {"Automotive", {"electric vehicles", "iot", "hardware", "robotics",
                    "fleet management"}},
    {"Real Estate", {"proptech", "marketplace", "b2c", "construction tech"}},
    {"Construction", {"construction tech", "proptech", "sustainability",
                      "b2b"}},
    {"Energy", {"renewable energy", "cleantech", "sustainability", "iot",
                "electric vehicles"}},
    {"Utilities", {"renewable energy", "cleantech", "iot"}},
    {"Environmental", {"cleantech", "sustainability", "renewable energy",
                       "agritech"}},
    {"Marketing & Advertising", {"marketing automation", "adtech", "crm",
                                 "sales enablement", "saas", "b2b",
                                 "data analytics"}},
    {"Media", {"media streaming", "adtech", "b2c", "mobile apps"}},
    {"Entertainment", {"media streaming", "gaming", "b2c", "mobile apps"}},
    {"Gaming", {"gaming", "mobile apps", "b2c", "blockchain"}},
    {"Security", {"cybersecurity", "enterprise software", "saas",
                  "artificial intelligence"}},
    {"Hardware", {"hardware", "semiconductors", "iot", "robotics"}},
    {"Manufacturing", {"robotics", "iot", "supply chain", "hardware",
                       "sustainability"}},
    {"Industrials", {"robotics", "iot", "supply chain", "hardware"}},
    {"Telecom", {"telecom", "iot", "cloud computing", "b2b"}},
    {"Legal", {"legal tech", "saas", "consulting"}},
    {"Business Services", {"outsourcing", "consulting", "hr tech",
                           "recruiting", "b2b", "crm"}},
    {"Administrative Services", {"outsourcing", "hr tech", "recruiting",
                                 "b2b"}},
    {"Consulting", {"consulting", "b2b", "data analytics", "outsourcing",
                    "enterprise software"}},
    {"Farming & Agriculture", {"agritech", "sustainability", "iot",
                               "supply chain"}},
    {"Food & Beverage", {"foodtech", "e-commerce", "b2c", "supply chain"}},
    {"Travel & Tourism", {"travel tech", "marketplace", "b2c",
                          "mobile apps"}},
    {"Hospitality", {"travel tech", "b2c", "foodtech"}},
    {"Science & Engineering", {"robotics", "biotech", "semiconductors",
                               "machine learning"}},
};

/* Employee-count buckets: the size distribution of companies, and what
 * follows from size. */
typedef struct size_bucket {
    uint32_t lo, hi;          /* employees, inclusive */
    uint32_t weight;          /* per 10000 companies */
    uint32_t prospects;       /* average prospects per company */
    uint32_t max_age;         /* oldest founding age in years */
    uint8_t stage_class;      /* index into stage_tables */
} size_bucket;

static const size_bucket size_buckets[] = {
    {1, 1, 900, 1, 25, 0},
    {2, 3, 900, 2, 30, 0},
    {4, 10, 1800, 3, 40, 0},
    {11, 25, 1700, 5, 45, 1},
    {26, 50, 1300, 8, 50, 1},
    {51, 100, 1000, 11, 55, 2},
    {101, 200, 800, 15, 60, 2},
    {201, 500, 600, 20, 65, 3},
    {501, 1000, 400, 26, 70, 3},
    {1001, 2000, 250, 32, 75, 4},
    {2001, 5000, 180, 40, 75, 4},
    {5001, 10000, 100, 46, 75, 4},
    {10001, 25000, 50, 52, 75, 5},
    {25001, 100000, 20, 56, 75, 5},
};
#define N_SIZE_BUCKETS COUNT(size_buckets)
#define MAX_PROSPECTS_PER_COMPANY 60
#define CURRENT_YEAR 2025
#define OLDEST_YEAR 1950
#define MAX_YEARS 45  /* years_experience, as dataset.h documents */

/* Funding stages by size class: small companies are unfunded or early,
 * large ones public, acquired or owned by private equity. */
#define N_STAGE_CLASSES 6
static const named_weight stage_class0[] = {
    {"no_funding_yet", 35}, {"unknown", 25}, {"pre_seed", 18}, {"seed", 15},
    {"closed", 4}, {"acquired", 2}, {"venture_other", 1},
};
static const named_weight stage_class1[] = {
    {"no_funding_yet", 20}, {"unknown", 25}, {"pre_seed", 5}, {"seed", 22},
    {"series_a", 15}, {"venture_other", 5}, {"acquired", 4}, {"closed", 3},
    {"private_equity", 1},
};
static const named_weight stage_class2[] = {
    {"unknown", 25}, {"no_funding_yet", 10}, {"seed", 10}, {"series_a", 20},
    {"series_b", 15}, {"series_c", 5}, {"venture_other", 5},
    {"private_equity", 4}, {"acquired", 5}, {"closed", 1},
};
static const named_weight stage_class3[] = {
    {"unknown", 25}, {"no_funding_yet", 5}, {"series_a", 5}, {"series_b", 12},
    {"series_c", 12}, {"series_d", 8}, {"series_e", 4}, {"private_equity", 10},
    {"acquired", 10}, {"public", 5}, {"venture_other", 4},
};
static const named_weight stage_class4[] = {
    {"unknown", 20}, {"public", 22}, {"private_equity", 15}, {"acquired", 12},
    {"series_c", 4}, {"series_d", 6}, {"series_e", 6}, {"series_f", 5},
    {"series_g", 3}, {"series_h", 2}, {"venture_other", 5},
};
static const named_weight stage_class5[] = {
    {"public", 55}, {"private_equity", 15}, {"acquired", 10}, {"unknown", 10},
    {"series_g", 2}, {"series_h", 2}, {"series_i", 2}, {"series_j", 2},
    {"venture_other", 2},
};
static const struct {
    const named_weight *w;
    size_t n;
} stage_tables[N_STAGE_CLASSES] = {
    {stage_class0, COUNT(stage_class0)}, {stage_class1, COUNT(stage_class1)},
    {stage_class2, COUNT(stage_class2)}, {stage_class3, COUNT(stage_class3)},
    {stage_class4, COUNT(stage_class4)}, {stage_class5, COUNT(stage_class5)},
};

/* Total funding by stage, thousands of USD, skewed towards the low end.
 * Stages not listed (no_funding_yet, unknown) have none. */
typedef struct stage_funding {
    const char *stage;
    uint32_t lo, hi;
} stage_funding;

static const stage_funding funding_table[] = {
    {"closed", 0, 2000},           {"pre_seed", 50, 1500},
    {"seed", 500, 5000},           {"series_a", 3000, 25000},
    {"series_b", 12000, 80000},    {"series_c", 30000, 200000},
    {"series_d", 60000, 400000},   {"series_e", 100000, 700000},
    {"series_f", 150000, 1000000}, {"series_g", 200000, 1500000},
    {"series_h", 300000, 2000000}, {"series_i", 400000, 2500000},
    {"series_j", 500000, 3000000}, {"venture_other", 100, 50000},
    {"private_equity", 10000, 1000000}, {"public", 50000, 4000000},
    {"acquired", 0, 300000},
};

/* Seniority classes of prospects: the static groups first (a title in
 * several belongs to the first), then the dynamic groups. */
enum {
    CLS_FOUNDER, CLS_CSUITE, CLS_BOARD, CLS_VP, CLS_DIRECTOR, CLS_MANAGEMENT,
    CLS_ENTRY, CLS_ASSISTANT, CLS_INTERN, N_CLASSES
};

typedef struct class_profile {
    uint32_t weight;         /* per 1000 prospects, founders aside */
    uint8_t min_years, max_years;
    const char *dynamic_group; /* for classes that are a dynamic group */
} class_profile;

static const class_profile class_profiles[N_CLASSES] = {
    [CLS_FOUNDER] = {0, 0, 0, NULL},    /* years follow the company's age */
    [CLS_CSUITE] = {30, 12, 38, NULL},
    [CLS_BOARD] = {15, 15, 45, NULL},
    [CLS_VP] = {50, 10, 32, "vp"},
    [CLS_DIRECTOR] = {90, 8, 28, "director"},
    [CLS_MANAGEMENT] = {220, 4, 22, "management"},
    [CLS_ENTRY] = {500, 0, 15, "entry-level"},
    [CLS_ASSISTANT] = {50, 0, 20, "assistant"},
    [CLS_INTERN] = {45, 0, 2, "intern"},
};

/* Tags the generator sets, resolved to bits once per generation. */
enum {
    TAG_STUDENT, TAG_TOP_US, TAG_TOP_GLOBAL, TAG_SECOND_FOUNDER, TAG_TECHNICAL,
    TAG_BIG_TECH, TAG_FORTUNE500, TAG_CHANGED, TAG_PROMOTED, TAG_DECIDER,
    TAG_CSUITE, TAG_EXPERIENCED, TAG_PHD, TAG_INFLUENCER, TAG_BOARD, N_TAGS
};
static const char *const tag_names[N_TAGS] = {
    [TAG_STUDENT] = "student",
    [TAG_TOP_US] = "attended-top-us-university",
    [TAG_TOP_GLOBAL] = "attended-top-global-university",
    [TAG_SECOND_FOUNDER] = "second-time-founder",
    [TAG_TECHNICAL] = "deep-technical-background",
    [TAG_BIG_TECH] = "major-tech-company-experience",
    [TAG_FORTUNE500] = "fortune-500-executive",
    [TAG_CHANGED] = "recently-changed-companies",
    [TAG_PROMOTED] = "recently-promoted",
    [TAG_DECIDER] = "decision-maker",
    [TAG_CSUITE] = "c-suite",
    [TAG_EXPERIENCED] = "experienced-executive",
    [TAG_PHD] = "phd",
    [TAG_INFLUENCER] = "influencer",
    [TAG_BOARD] = "board-member",
};

/* Shares of prospects (per mille) with each kind of contact detail. */
#define WORK_EMAIL_PERMILLE 650
#define PERSONAL_EMAIL_PERMILLE 300
#define PHONE_PERMILLE 250

/* ---- Generation context ------------------------------------------------ */

/* Everything resolved from names to indexes once per dataset_generate, so
 * the per-record loops do no string work. Local to one call: generation
 * keeps no global state. */
typedef struct gen_ctx {
    uint64_t seed;
    wtable countries;
    wtable industries;
    wtable stages[N_STAGE_CLASSES];
    wtable sizes;              /* values: size_buckets indexes */
    wtable classes;            /* values: CLS_* (founders excluded) */
    uint64_t industry_keywords[VOCAB_N_INDUSTRIES];
    uint32_t funding_lo[VOCAB_N_STAGES], funding_hi[VOCAB_N_STAGES];
    int stage_seedlike[VOCAB_N_STAGES];   /* 1: pre_seed, seed, series_a */
    int stage_mature[VOCAB_N_STAGES];     /* 1: public, private_equity */
    int stage_seed, stage_unknown;
    uint8_t titles[N_CLASSES][VOCAB_MAX_JOB_TITLES];
    uint8_t n_titles[N_CLASSES];
    uint8_t title_class[VOCAB_MAX_JOB_TITLES];
    uint8_t title_technical[VOCAB_MAX_JOB_TITLES];
    uint16_t tag_bit[N_TAGS];
    unsigned csuite_group;     /* bit of "c-suite" in static_groups */
} gen_ctx;

static uint64_t keyword_mask(const char *const *names, size_t n)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < n && names[i] != NULL; i++) {
        int k = vocab_keyword_find(names[i]);
        if (k < 0)
            return 0;
        mask |= 1ull << k;
    }
    return mask;
}

static int ctx_init_keywords(gen_ctx *ctx)
{
    uint64_t generic = keyword_mask(generic_keywords, COUNT(generic_keywords));
    if (generic == 0)
        return -1;
    for (size_t i = 0; i < VOCAB_N_INDUSTRIES; i++)
        ctx->industry_keywords[i] = generic;
    for (size_t i = 0; i < COUNT(industry_keyword_table); i++) {
        const industry_keywords *e = &industry_keyword_table[i];
        int ind = vocab_industry_find(e->industry);
        uint64_t mask = keyword_mask(e->keywords, COUNT(e->keywords));
        if (ind < 0 || mask == 0)
            return -1;
        ctx->industry_keywords[ind] = mask;
    }
    return 0;
}

static int ctx_init_stages(gen_ctx *ctx)
{
    static const char *const seedlike[] = {"pre_seed", "seed", "series_a"};
    static const char *const mature[] = {"public", "private_equity"};

    for (size_t c = 0; c < N_STAGE_CLASSES; c++) {
        if (wtable_from_names(&ctx->stages[c], stage_tables[c].w,
                              stage_tables[c].n, vocab_stage_find) != 0)
            return -1;
    }
    for (size_t i = 0; i < COUNT(funding_table); i++) {
        int s = vocab_stage_find(funding_table[i].stage);
        if (s < 0)
            return -1;
        ctx->funding_lo[s] = funding_table[i].lo;
        ctx->funding_hi[s] = funding_table[i].hi;
    }
    for (size_t i = 0; i < COUNT(seedlike); i++) {
        int s = vocab_stage_find(seedlike[i]);
        if (s < 0)
            return -1;
        ctx->stage_seedlike[s] = 1;
    }
    for (size_t i = 0; i < COUNT(mature); i++) {
        int s = vocab_stage_find(mature[i]);
        if (s < 0)
            return -1;
        ctx->stage_mature[s] = 1;
    }
    ctx->stage_seed = vocab_stage_find("seed");
    ctx->stage_unknown = vocab_stage_find("unknown");
    return ctx->stage_seed < 0 || ctx->stage_unknown < 0 ? -1 : 0;
}

/* The seniority class of a title: its first static group, else its
 * dynamic group. */
static int title_class_of(const vocab_job_title *t)
{
    static const uint8_t static_class[VOCAB_N_STATIC_GROUPS] = {
        CLS_FOUNDER, CLS_CSUITE, CLS_BOARD,
    };
    for (int g = 0; g < VOCAB_N_STATIC_GROUPS; g++) {
        if (t->static_groups & (1u << g))
            return static_class[g];
    }
    for (int c = CLS_VP; c < N_CLASSES; c++) {
        if (vocab_dynamic_group_find(class_profiles[c].dynamic_group) ==
            t->dynamic_group)
            return c;
    }
    return -1;
}

static int ctx_init_titles(gen_ctx *ctx)
{
    static const char *const technical[] = {
        "Engineering", "Data Science", "Information Technology", "Research",
    };
    for (size_t i = 0; i < vocab_n_job_titles; i++) {
        int c = title_class_of(&vocab_job_titles[i]);
        if (c < 0)
            return -1;
        ctx->title_class[i] = (uint8_t)c;
        ctx->titles[c][ctx->n_titles[c]++] = (uint8_t)i;
        for (size_t k = 0; k < COUNT(technical); k++) {
            if (strcmp(vocab_job_titles[i].function, technical[k]) == 0)
                ctx->title_technical[i] = 1;
        }
    }
    ctx->classes.n = 0;
    for (int c = 0; c < N_CLASSES; c++) {
        if (class_profiles[c].weight == 0)
            continue;
        if (ctx->n_titles[c] == 0)
            return -1;
        wtable_add(&ctx->classes, (uint16_t)c, class_profiles[c].weight);
    }
    int csuite = vocab_static_group_find("c-suite");
    if (csuite < 0 || ctx->n_titles[CLS_FOUNDER] == 0)
        return -1;
    ctx->csuite_group = 1u << csuite;
    return 0;
}

static int ctx_init(gen_ctx *ctx, uint64_t seed)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->seed = seed;
    if (wtable_from_names(&ctx->countries, country_weights,
                          COUNT(country_weights), vocab_country_find) != 0)
        return -1;
    if (wtable_from_names(&ctx->industries, industry_weights,
                          COUNT(industry_weights), vocab_industry_find) != 0)
        return -1;
    for (size_t i = 0; i < N_SIZE_BUCKETS; i++)
        wtable_add(&ctx->sizes, (uint16_t)i, size_buckets[i].weight);
    for (int t = 0; t < N_TAGS; t++) {
        int bit = vocab_prospect_tag_find(tag_names[t]);
        if (bit < 0)
            return -1;
        ctx->tag_bit[t] = (uint16_t)(1u << bit);
    }
    if (ctx_init_keywords(ctx) != 0 || ctx_init_stages(ctx) != 0)
        return -1;
    return ctx_init_titles(ctx);
}

/* ---- Companies --------------------------------------------------------- */

/* A uniformly chosen set bit of a nonzero mask. */
static int pick_bit(rng *r, uint64_t mask)
{
    uint32_t k = rng_below(r, (uint32_t)__builtin_popcountll(mask));
    while (k-- > 0)
        mask &= mask - 1;
    return __builtin_ctzll(mask);
}

static uint16_t pick_country(const gen_ctx *ctx, rng *r)
{
    if (rng_chance(r, RARE_COUNTRY_PERMILLE))
        return (uint16_t)rng_below(r, (uint32_t)vocab_n_countries);
    return wtable_pick(&ctx->countries, r);
}

static void gen_industries(const gen_ctx *ctx, rng *r, ds_company *c)
{
    /* 1, 2 or 3 industries with odds 50:35:15. */
    uint32_t roll = rng_below(r, 100);
    int want = roll < 50 ? 1 : roll < 85 ? 2 : 3;
    c->industries = 0;
    c->keywords = 0;
    for (int have = 0; have < want;) {
        uint16_t ind = wtable_pick(&ctx->industries, r);
        if (c->industries & (1ull << ind))
            continue;
        c->industries |= 1ull << ind;
        have++;
        uint64_t pool = ctx->industry_keywords[ind];
        uint32_t n_kw = rng_range(r, 1, 3);
        for (uint32_t k = 0; k < n_kw; k++)
            c->keywords |= 1ull << pick_bit(r, pool);
    }
    if (rng_chance(r, 400))
        c->keywords |= 1ull << rng_below(r, (uint32_t)vocab_n_keywords);
}

/* The stage, adjusted for age: a very young company is not yet public, an
 * old one is past its seed rounds. */
static uint8_t gen_stage(const gen_ctx *ctx, rng *r, const size_bucket *b,
                         uint32_t age)
{
    int s = wtable_pick(&ctx->stages[b->stage_class], r);
    if (age <= 2 && ctx->stage_mature[s])
        s = ctx->stage_seed;
    else if (age > 30 && ctx->stage_seedlike[s])
        s = ctx->stage_unknown;
    return (uint8_t)s;
}

/* Fills one company except first_prospect; returns its number of
 * prospects. */
static uint32_t gen_company(const gen_ctx *ctx, uint32_t index, ds_company *c)
{
    rng r = rng_for(ctx->seed, STREAM_COMPANY, index);
    const size_bucket *b = &size_buckets[wtable_pick(&ctx->sizes, &r)];

    c->employee_count = rng_skewed(&r, b->lo, b->hi);
    c->country = pick_country(ctx, &r);
    gen_industries(ctx, &r, c);

    uint32_t age = rng_skewed(&r, 0, b->max_age);
    if (age > CURRENT_YEAR - OLDEST_YEAR)
        age = CURRENT_YEAR - OLDEST_YEAR;
    c->founded_year = (uint16_t)(CURRENT_YEAR - age);
    c->stage = gen_stage(ctx, &r, b, age);
    c->total_funding_kusd = 0;
    if (ctx->funding_hi[c->stage] > 0)
        c->total_funding_kusd = rng_skewed(&r, ctx->funding_lo[c->stage],
                                           ctx->funding_hi[c->stage]);

    /* 0.64 to 1.5 times the bucket's average, at least one, and never more
     * prospects than employees. */
    uint32_t n = (b->prospects * rng_range(&r, 64, 150) + 50) / 100;
    if (n < 1)
        n = 1;
    if (n > MAX_PROSPECTS_PER_COMPANY)
        n = MAX_PROSPECTS_PER_COMPANY;
    if (n > c->employee_count)
        n = c->employee_count;
    return n;
}

/* ---- Prospects --------------------------------------------------------- */

/* The seniority class of the rank-th prospect of a company: small companies
 * list their founder first (and often a co-founder second). */
static int pick_class(const gen_ctx *ctx, rng *r, const ds_company *c,
                      uint32_t rank)
{
    if (rank == 0 && rng_chance(r, c->employee_count <= 500 ? 800 : 200))
        return CLS_FOUNDER;
    if (rank == 1 && c->employee_count <= 200 && rng_chance(r, 450))
        return CLS_FOUNDER;
    return wtable_pick(&ctx->classes, r);
}

static uint16_t gen_tags(const gen_ctx *ctx, rng *r, const ds_company *c,
                         int cls, const ds_prospect *p)
{
    const uint16_t *bit = ctx->tag_bit;
    int executive = cls <= CLS_VP;
    uint16_t tags = 0;

    if (vocab_job_titles[p->job_title].static_groups & ctx->csuite_group)
        tags |= bit[TAG_CSUITE];
    if (cls == CLS_BOARD)
        tags |= bit[TAG_BOARD];
    if (cls <= CLS_DIRECTOR)
        tags |= bit[TAG_DECIDER];
    if (cls == CLS_FOUNDER && rng_chance(r, 200))
        tags |= bit[TAG_SECOND_FOUNDER];
    if (executive && p->years_experience >= 15)
        tags |= bit[TAG_EXPERIENCED];
    if (executive && c->employee_count >= 5000 && rng_chance(r, 300))
        tags |= bit[TAG_FORTUNE500];
    if (cls == CLS_INTERN && rng_chance(r, 600))
        tags |= bit[TAG_STUDENT];
    if (ctx->title_technical[p->job_title] && rng_chance(r, 300))
        tags |= bit[TAG_TECHNICAL];

    static const struct {
        int tag;
        uint32_t permille;
    } random_tags[] = {
        {TAG_TOP_US, 80}, {TAG_TOP_GLOBAL, 100}, {TAG_BIG_TECH, 120},
        {TAG_CHANGED, 100}, {TAG_PROMOTED, 80}, {TAG_PHD, 30},
        {TAG_INFLUENCER, 20},
    };
    for (size_t i = 0; i < COUNT(random_tags); i++) {
        if (rng_chance(r, random_tags[i].permille))
            tags |= bit[random_tags[i].tag];
    }
    return tags;
}

/* Years of experience: triangular between the class bounds (most people
 * sit mid-range); a founder has worked at least as long as the company
 * exists. */
static uint8_t gen_years(rng *r, const ds_company *c, int cls)
{
    const class_profile *prof = &class_profiles[cls];
    uint32_t span = prof->max_years - prof->min_years;
    uint32_t years = prof->min_years +
                     (rng_range(r, 0, span) + rng_range(r, 0, span) + 1) / 2;
    if (cls == CLS_FOUNDER)
        years = (uint32_t)(CURRENT_YEAR - c->founded_year) + rng_range(r, 0, 12);
    return (uint8_t)(years > MAX_YEARS ? MAX_YEARS : years);
}

static void gen_prospect(const gen_ctx *ctx, const ds_company *companies,
                         uint32_t company, uint32_t index, ds_prospect *p)
{
    const ds_company *c = &companies[company];
    rng r = rng_for(ctx->seed, STREAM_PROSPECT, index);
    uint32_t rank = index - c->first_prospect;  /* position in its company */
    int cls = pick_class(ctx, &r, c, rank);

    p->company = company;
    p->country = rng_chance(&r, SAME_COUNTRY_PERMILLE) ? c->country
                                                       : pick_country(ctx, &r);
    if (cls == CLS_FOUNDER) {
        /* Founders take consecutive founder titles from a per-company
         * start, so a co-founder never repeats the first founder's title. */
        uint32_t start = (uint32_t)(mix64_final(ctx->seed ^ company) % ctx->n_titles[cls]);
        p->job_title = ctx->titles[cls][(start + rank) % ctx->n_titles[cls]];
    } else {
        p->job_title = ctx->titles[cls][rng_below(&r, ctx->n_titles[cls])];
    }
    p->years_experience = gen_years(&r, c, cls);
    p->tags = gen_tags(ctx, &r, c, cls, p);
    p->contacts = 0;
    if (rng_chance(&r, WORK_EMAIL_PERMILLE))
        p->contacts |= DS_CONTACT_WORK_EMAIL;
    if (rng_chance(&r, PERSONAL_EMAIL_PERMILLE))
        p->contacts |= DS_CONTACT_PERSONAL_EMAIL;
    if (rng_chance(&r, PHONE_PERMILLE))
        p->contacts |= DS_CONTACT_PHONE;
}

/* ---- Indexes ----------------------------------------------------------- */

/* Appends the keys of record `id` to keys[] and returns how many. */
typedef size_t (*keys_fn)(const dataset *ds, uint32_t id, uint32_t keys[64]);

static size_t company_country_keys(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->companies[id].country;
    return 1;
}

static size_t company_industry_keys(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    size_t n = 0;
    for (uint64_t m = ds->companies[id].industries; m != 0; m &= m - 1)
        keys[n++] = (uint32_t)__builtin_ctzll(m);
    return n;
}

static size_t prospect_country_keys(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->prospects[id].country;
    return 1;
}

static size_t prospect_title_keys(const dataset *ds, uint32_t id, uint32_t keys[64])
{
    keys[0] = ds->prospects[id].job_title;
    return 1;
}

/* Builds a CSR posting list by counting sort: one pass to count, a prefix
 * sum, one pass to place. Records are visited in ascending order, so each
 * list comes out ascending. Returns 0, or -1 when out of memory. */
static int index_build(ds_index *idx, const dataset *ds, size_t n_records,
                       size_t n_keys, keys_fn keys_of)
{
    uint32_t keys[64];
    uint32_t *fill = NULL;

    idx->n_keys = n_keys;
    idx->start = calloc(n_keys + 1, sizeof *idx->start);
    fill = calloc(n_keys, sizeof *fill);
    if (idx->start == NULL || fill == NULL)
        goto fail;
    for (size_t id = 0; id < n_records; id++) {
        size_t n = keys_of(ds, (uint32_t)id, keys);
        for (size_t k = 0; k < n; k++)
            idx->start[keys[k] + 1]++;
    }
    for (size_t k = 0; k < n_keys; k++)
        idx->start[k + 1] += idx->start[k];
    idx->ids = malloc((idx->start[n_keys] ? idx->start[n_keys] : 1) * sizeof *idx->ids);
    if (idx->ids == NULL)
        goto fail;
    memcpy(fill, idx->start, n_keys * sizeof *fill);
    for (size_t id = 0; id < n_records; id++) {
        size_t n = keys_of(ds, (uint32_t)id, keys);
        for (size_t k = 0; k < n; k++)
            idx->ids[fill[keys[k]]++] = (uint32_t)id;
    }
    free(fill);
    return 0;
fail:
    free(fill);
    return -1;
}

static void index_free(ds_index *idx)
{
    free(idx->start);
    free(idx->ids);
    idx->start = NULL;
    idx->ids = NULL;
}

static int build_indexes(dataset *ds)
{
    if (index_build(&ds->companies_by_country, ds, ds->n_companies,
                    vocab_n_countries, company_country_keys) != 0)
        return -1;
    if (index_build(&ds->companies_by_industry, ds, ds->n_companies,
                    VOCAB_N_INDUSTRIES, company_industry_keys) != 0)
        return -1;
    if (index_build(&ds->prospects_by_country, ds, ds->n_prospects,
                    vocab_n_countries, prospect_country_keys) != 0)
        return -1;
    return index_build(&ds->prospects_by_job_title, ds, ds->n_prospects,
                       vocab_n_job_titles, prospect_title_keys);
}

/* ---- Public API -------------------------------------------------------- */

dataset *dataset_generate(uint64_t seed, uint32_t n_companies)
{
    gen_ctx *ctx = NULL;
    dataset *ds = NULL;

    if (n_companies < 1 || n_companies > DATASET_MAX_COMPANIES)
        return NULL;
    ctx = malloc(sizeof *ctx);
    ds = calloc(1, sizeof *ds);
    if (ctx == NULL || ds == NULL || ctx_init(ctx, seed) != 0)
        goto fail;
    ds->seed = seed;
    ds->n_companies = n_companies;
    /* calloc, not malloc: zeroed padding keeps records byte-comparable. */
    ds->companies = calloc(n_companies, sizeof *ds->companies);
    if (ds->companies == NULL)
        goto fail;

    /* Companies first: their prospect counts give each its range. At most
     * 60 per company, so the total fits in 32 bits. */
    uint32_t total = 0;
    for (uint32_t i = 0; i < n_companies; i++) {
        uint32_t n = gen_company(ctx, i, &ds->companies[i]);
        ds->companies[i].first_prospect = total;
        total += n;
    }
    ds->n_prospects = total;
    ds->prospects = calloc(total, sizeof *ds->prospects);
    if (ds->prospects == NULL)
        goto fail;
    for (uint32_t i = 0; i < n_companies; i++) {
        uint32_t end = i + 1 < n_companies ? ds->companies[i + 1].first_prospect : total;
        for (uint32_t p = ds->companies[i].first_prospect; p < end; p++)
            gen_prospect(ctx, ds->companies, i, p, &ds->prospects[p]);
    }
    if (build_indexes(ds) != 0)
        goto fail;
    free(ctx);
    return ds;
fail:
    free(ctx);
    dataset_free(ds);
    return NULL;
}

void dataset_free(dataset *ds)
{
    if (ds == NULL)
        return;
    index_free(&ds->companies_by_country);
    index_free(&ds->companies_by_industry);
    index_free(&ds->prospects_by_country);
    index_free(&ds->prospects_by_job_title);
    free(ds->companies);
    free(ds->prospects);
    free(ds);
}
