/* vocab: lookups over the generated tables (vocab_data.c), and the tables
 * that belong to the simulator itself: company keywords and job titles.
 *
 * Lookups are linear: the tables are small and they are consulted while a
 * filter is compiled, never per record. */
#include "data/vocab.h"

#include <strings.h>

/* Index of `name` in `table` (n entries, case-insensitive), or -1. Accepts
 * NULL for name. */
static int find_in(const char *const *table, size_t n, const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(table[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* ---- Keywords -------------------------------------------------------- */

/* The company keywords of the synthetic database: B2B themes that the
 * dataset correlates with industries and that descriptions mention. */
const char *const vocab_keywords[] = {
    "saas", "b2b", "b2c", "enterprise software", "machine learning",
    "artificial intelligence", "generative ai", "data analytics", "big data",
    "cloud computing", "devops", "cybersecurity", "fintech", "payments",
    "banking", "insurtech", "e-commerce", "marketplace", "retail tech",
    "healthtech", "digital health", "biotech", "medical devices", "edtech",
    "online learning", "logistics", "supply chain", "fleet management",
    "proptech", "construction tech", "cleantech", "renewable energy",
    "electric vehicles", "iot", "robotics", "hardware", "semiconductors",
    "blockchain", "crypto", "marketing automation", "adtech", "crm",
    "sales enablement", "hr tech", "recruiting", "legal tech", "agritech",
    "foodtech", "gaming", "media streaming", "travel tech", "telecom",
    "open source", "api", "mobile apps", "consulting", "outsourcing",
    "sustainability", "no-code", "developer tools",
};
const size_t vocab_n_keywords = sizeof vocab_keywords / sizeof vocab_keywords[0];

/* A compile-time guard: a company stores its keywords as a 64-bit mask. */
_Static_assert(sizeof vocab_keywords / sizeof vocab_keywords[0] <= VOCAB_MAX_KEYWORDS,
               "too many keywords for a 64-bit mask");

/* ---- Job titles ------------------------------------------------------ */

/* Dynamic groups, in the order of vocabulary.json (vocab_dynamic_groups);
 * test_vocab checks that these indexes name the right groups. */
enum { DG_VP, DG_DIRECTOR, DG_MANAGEMENT, DG_ENTRY, DG_ASSISTANT, DG_INTERN };
/* Static groups as bits, in the order of vocab_static_groups. */
enum { SG_FOUNDER = 1u << 0, SG_CSUITE = 1u << 1, SG_BOARD = 1u << 2 };

/* Founders, chief officers and board members sit in "management": the six
 * dynamic groups have no executive tier above vp, and a CEO returned by a
 * "vp" filter would surprise a caller more than one returned by
 * "management". */
const vocab_job_title vocab_job_titles[] = {
    /* Founders and chief officers. */
    {"Founder", "Executive", DG_MANAGEMENT, SG_FOUNDER},
    {"Co-Founder", "Executive", DG_MANAGEMENT, SG_FOUNDER},
    {"Founder & CEO", "Executive", DG_MANAGEMENT, SG_FOUNDER | SG_CSUITE},
    {"Co-Founder & CTO", "Engineering", DG_MANAGEMENT, SG_FOUNDER | SG_CSUITE},
    {"CEO", "Executive", DG_MANAGEMENT, SG_CSUITE},
    {"CTO", "Engineering", DG_MANAGEMENT, SG_CSUITE},
    {"CFO", "Finance", DG_MANAGEMENT, SG_CSUITE},
    {"COO", "Operations", DG_MANAGEMENT, SG_CSUITE},
    {"CMO", "Marketing", DG_MANAGEMENT, SG_CSUITE},
    {"Chief Revenue Officer", "Sales", DG_MANAGEMENT, SG_CSUITE},
    {"Chief Product Officer", "Product", DG_MANAGEMENT, SG_CSUITE},
    {"Chief People Officer", "Human Resources", DG_MANAGEMENT, SG_CSUITE},
    {"Chief Information Security Officer", "Information Technology", DG_MANAGEMENT, SG_CSUITE},
    {"Chief Data Officer", "Data Science", DG_MANAGEMENT, SG_CSUITE},
    /* Boards. */
    {"Board Member", "Executive", DG_MANAGEMENT, SG_BOARD},
    {"Chairman of the Board", "Executive", DG_MANAGEMENT, SG_BOARD},
    {"Independent Director", "Executive", DG_MANAGEMENT, SG_BOARD},
    {"Advisory Board Member", "Executive", DG_MANAGEMENT, SG_BOARD},
    /* Vice presidents. */
    {"VP of Engineering", "Engineering", DG_VP, 0},
    {"VP of Sales", "Sales", DG_VP, 0},
    {"VP of Marketing", "Marketing", DG_VP, 0},
    {"VP of Product", "Product", DG_VP, 0},
    {"VP of Finance", "Finance", DG_VP, 0},
    {"VP of Operations", "Operations", DG_VP, 0},
    {"VP of Customer Success", "Customer Success", DG_VP, 0},
    {"VP of People", "Human Resources", DG_VP, 0},
    {"SVP of Business Development", "Business Development", DG_VP, 0},
    {"EVP, Global Sales", "Sales", DG_VP, 0},
    /* Directors. */
    {"Director of Engineering", "Engineering", DG_DIRECTOR, 0},
    {"Director of Marketing", "Marketing", DG_DIRECTOR, 0},
    {"Director of Sales", "Sales", DG_DIRECTOR, 0},
    {"Director of Product Management", "Product", DG_DIRECTOR, 0},
    {"Director of Finance", "Finance", DG_DIRECTOR, 0},
    {"Director of Operations", "Operations", DG_DIRECTOR, 0},
    {"Director of Human Resources", "Human Resources", DG_DIRECTOR, 0},
    {"Director of IT", "Information Technology", DG_DIRECTOR, 0},
    {"Director of Data Science", "Data Science", DG_DIRECTOR, 0},
    {"Director of Customer Success", "Customer Success", DG_DIRECTOR, 0},
    {"Head of Growth", "Marketing", DG_DIRECTOR, 0},
    {"Head of Design", "Design", DG_DIRECTOR, 0},
    {"Head of Legal", "Legal", DG_DIRECTOR, 0},
    {"Head of Partnerships", "Business Development", DG_DIRECTOR, 0},
    /* Managers. */
    {"Engineering Manager", "Engineering", DG_MANAGEMENT, 0},
    {"Product Manager", "Product", DG_MANAGEMENT, 0},
    {"Senior Product Manager", "Product", DG_MANAGEMENT, 0},
    {"Marketing Manager", "Marketing", DG_MANAGEMENT, 0},
    {"Sales Manager", "Sales", DG_MANAGEMENT, 0},
    {"Account Manager", "Sales", DG_MANAGEMENT, 0},
    {"Project Manager", "Operations", DG_MANAGEMENT, 0},
    {"Operations Manager", "Operations", DG_MANAGEMENT, 0},
    {"Finance Manager", "Finance", DG_MANAGEMENT, 0},
    {"HR Manager", "Human Resources", DG_MANAGEMENT, 0},
    {"IT Manager", "Information Technology", DG_MANAGEMENT, 0},
    {"Customer Success Manager", "Customer Success", DG_MANAGEMENT, 0},
    {"Content Marketing Manager", "Marketing", DG_MANAGEMENT, 0},
    {"Office Manager", "Administrative", DG_MANAGEMENT, 0},
    {"Team Lead, Support", "Customer Success", DG_MANAGEMENT, 0},
    {"Store Manager", "Operations", DG_MANAGEMENT, 0},
    /* Individual contributors. */
    {"Software Engineer", "Engineering", DG_ENTRY, 0},
    {"Senior Software Engineer", "Engineering", DG_ENTRY, 0},
    {"Staff Engineer", "Engineering", DG_ENTRY, 0},
    {"Frontend Developer", "Engineering", DG_ENTRY, 0},
    {"Backend Developer", "Engineering", DG_ENTRY, 0},
    {"Full Stack Developer", "Engineering", DG_ENTRY, 0},
    {"DevOps Engineer", "Engineering", DG_ENTRY, 0},
    {"QA Engineer", "Engineering", DG_ENTRY, 0},
    {"Mobile Developer", "Engineering", DG_ENTRY, 0},
    {"Data Scientist", "Data Science", DG_ENTRY, 0},
    {"Data Analyst", "Data Science", DG_ENTRY, 0},
    {"Machine Learning Engineer", "Data Science", DG_ENTRY, 0},
    {"Security Analyst", "Information Technology", DG_ENTRY, 0},
    {"Systems Administrator", "Information Technology", DG_ENTRY, 0},
    {"UX Designer", "Design", DG_ENTRY, 0},
    {"Graphic Designer", "Design", DG_ENTRY, 0},
    {"Sales Development Representative", "Sales", DG_ENTRY, 0},
    {"Account Executive", "Sales", DG_ENTRY, 0},
    {"Business Development Representative", "Business Development", DG_ENTRY, 0},
    {"Marketing Specialist", "Marketing", DG_ENTRY, 0},
    {"Content Writer", "Marketing", DG_ENTRY, 0},
    {"SEO Specialist", "Marketing", DG_ENTRY, 0},
    {"Customer Support Specialist", "Customer Success", DG_ENTRY, 0},
    {"Recruiter", "Human Resources", DG_ENTRY, 0},
    {"Accountant", "Finance", DG_ENTRY, 0},
    {"Financial Analyst", "Finance", DG_ENTRY, 0},
    {"Operations Analyst", "Operations", DG_ENTRY, 0},
    {"Business Analyst", "Operations", DG_ENTRY, 0},
    {"Legal Counsel", "Legal", DG_ENTRY, 0},
    {"Paralegal", "Legal", DG_ENTRY, 0},
    {"Consultant", "Consulting", DG_ENTRY, 0},
    {"Research Scientist", "Research", DG_ENTRY, 0},
    {"Mechanical Engineer", "Engineering", DG_ENTRY, 0},
    {"Registered Nurse", "Healthcare Services", DG_ENTRY, 0},
    {"Teacher", "Education", DG_ENTRY, 0},
    /* Assistants. */
    {"Executive Assistant", "Administrative", DG_ASSISTANT, 0},
    {"Administrative Assistant", "Administrative", DG_ASSISTANT, 0},
    {"Personal Assistant to the CEO", "Administrative", DG_ASSISTANT, 0},
    {"Marketing Assistant", "Marketing", DG_ASSISTANT, 0},
    {"Sales Assistant", "Sales", DG_ASSISTANT, 0},
    /* Interns. */
    {"Software Engineering Intern", "Engineering", DG_INTERN, 0},
    {"Marketing Intern", "Marketing", DG_INTERN, 0},
    {"Sales Intern", "Sales", DG_INTERN, 0},
    {"Finance Intern", "Finance", DG_INTERN, 0},
    {"Data Science Intern", "Data Science", DG_INTERN, 0},
    {"Design Intern", "Design", DG_INTERN, 0},
};
const size_t vocab_n_job_titles = sizeof vocab_job_titles / sizeof vocab_job_titles[0];

_Static_assert(sizeof vocab_job_titles / sizeof vocab_job_titles[0] <= VOCAB_MAX_JOB_TITLES,
               "too many job titles for a 128-bit set");
/* dataset.h stores the title index in a uint8_t. */
_Static_assert(VOCAB_MAX_JOB_TITLES <= 256, "job title index must fit in 8 bits");

/* ---- Lookups --------------------------------------------------------- */

int vocab_industry_find(const char *name_or_slug)
{
    int i = find_in(vocab_industry_names, VOCAB_N_INDUSTRIES, name_or_slug);
    if (i < 0)
        i = find_in(vocab_industry_slugs, VOCAB_N_INDUSTRIES, name_or_slug);
    return i;
}

int vocab_stage_find(const char *stage)
{
    return find_in(vocab_stages, VOCAB_N_STAGES, stage);
}

int vocab_country_find(const char *code)
{
    if (code == NULL)
        return -1;
    for (size_t i = 0; i < vocab_n_countries; i++) {
        if (strcasecmp(vocab_countries[i].iso3, code) == 0 ||
            strcasecmp(vocab_countries[i].iso2, code) == 0)
            return (int)i;
    }
    return -1;
}

int vocab_region_find(const char *code)
{
    if (code == NULL)
        return -1;
    for (size_t i = 0; i < vocab_n_regions; i++) {
        if (strcasecmp(vocab_regions[i].code, code) == 0)
            return (int)i;
    }
    return -1;
}

int vocab_keyword_find(const char *keyword)
{
    return find_in(vocab_keywords, vocab_n_keywords, keyword);
}

int vocab_prospect_tag_find(const char *tag)
{
    return find_in(vocab_prospect_tags, VOCAB_N_PROSPECT_TAGS, tag);
}

int vocab_static_group_find(const char *group)
{
    return find_in(vocab_static_groups, VOCAB_N_STATIC_GROUPS, group);
}

int vocab_dynamic_group_find(const char *group)
{
    return find_in(vocab_dynamic_groups, VOCAB_N_DYNAMIC_GROUPS, group);
}

int vocab_company_filter_key_find(const char *key)
{
    return find_in(vocab_company_filter_keys, vocab_n_company_filter_keys, key);
}

int vocab_prospect_filter_key_find(const char *key)
{
    return find_in(vocab_prospect_filter_keys, vocab_n_prospect_filter_keys, key);
}

int vocab_company_column_find(const char *column)
{
    return find_in(vocab_company_columns, VOCAB_N_COMPANY_COLUMNS, column);
}

int vocab_prospect_column_find(const char *column)
{
    return find_in(vocab_prospect_columns, VOCAB_N_PROSPECT_COLUMNS, column);
}
