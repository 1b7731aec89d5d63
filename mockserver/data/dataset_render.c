/* dataset_render: the text of the synthetic records, rendered on demand.
 *
 * Nothing here is stored: each text is a function of the record and of a
 * hash of (seed, kind, index, field), so the same dataset renders the same
 * bytes on every call and every machine. Texts are built in small fixed
 * buffers (tbuf) and appended to the caller's strbuf at the end.
 *
 * Export cells dispatch through two tables, column name -> renderer, turned
 * into arrays indexed by column once per process (pthread_once). Prospect
 * columns about the prospect's company reuse the company renderers.
 *
 * Fictional by construction: personal e-mails use the RFC 2606 example
 * domains, phone numbers the 555 range. */
#include "data/dataset.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "data/mix.h"
#include "data/vocab.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Hashing ------------------------------------------------------------ */

enum { KIND_COMPANY = 1, KIND_PROSPECT = 2 };

/* Fields of a record, each with its own hash so that adding a field never
 * changes another. */
enum {
    F_NAME_PATTERN, F_NAME_A, F_NAME_B, F_NAME_KIND, F_LEGAL, F_TLD, F_CITY,
    F_DESC_TEMPLATE, F_DESC_KW, F_FIRST, F_LAST, F_CULTURE, F_EMAIL_STYLE,
    F_PERSONAL_EMAIL, F_PHONE
};

static uint64_t field_hash(const dataset *ds, uint64_t kind, uint32_t index,
                           uint32_t field)
{
    return mix64_final(ds->seed ^ mix64_final((kind << 56) ^ ((uint64_t)field << 32) ^ index));
}

/* A value in [0, n) from a hash; n > 0. */
static uint32_t hash_below(uint64_t h, uint32_t n)
{
    return (uint32_t)(((h >> 32) * (uint64_t)n) >> 32);
}

#define PICK(h, table) ((table)[hash_below((h), (uint32_t)COUNT(table))])

/* ---- Ids ---------------------------------------------------------------- */

#define ID_MASK ((1ull << 48) - 1)

/* A bijection of 48-bit values (xor with a seed constant, odd multipliers
 * and xor-shifts, all invertible modulo 2^48): distinct indexes give
 * distinct ids that do not look sequential. */
static uint64_t id48(uint64_t seed, uint64_t salt, uint32_t index)
{
    uint64_t x = ((uint64_t)index ^ mix64_final(seed ^ salt)) & ID_MASK;
    x = (x * 0x9E3779B97F4Bull) & ID_MASK;
    x ^= x >> 23;
    x = (x * 0xD6E8FEB86659ull) & ID_MASK;
    x ^= x >> 21;
    return x;
}

void ds_company_id(const dataset *ds, uint32_t company, char out[24])
{
    snprintf(out, 24, "dc_%012llx",
             (unsigned long long)id48(ds->seed, 0xC0C0A11Eull, company));
}

void ds_prospect_id(const dataset *ds, uint32_t prospect, char out[24])
{
    snprintf(out, 24, "dp_%012llx",
             (unsigned long long)id48(ds->seed, 0x9E0B1Eull, prospect));
}

/* ---- Fixed text buffers ------------------------------------------------- */

#define TBUF_CAP 512

/* A bounded buffer for one rendered text. Every text here is far shorter
 * than TBUF_CAP; on overflow the text is cut, never overrun. */
typedef struct tbuf {
    size_t len;
    char s[TBUF_CAP];
} tbuf;

static void tb_init(tbuf *b)
{
    b->len = 0;
    b->s[0] = '\0';
}

static void tb_put(tbuf *b, const char *s, size_t n)
{
    if (n > TBUF_CAP - 1 - b->len)
        n = TBUF_CAP - 1 - b->len;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void tb_puts(tbuf *b, const char *s)
{
    tb_put(b, s, strlen(s));
}

/* Decimal digits by hand: snprintf was a tenth of an export's time. */
static void tb_putu(tbuf *b, unsigned long long v)
{
    char num[24];
    size_t i = sizeof num;
    do {
        num[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    tb_put(b, num + i, sizeof num - i);
}

static void tb_out(const tbuf *b, strbuf *out)
{
    strbuf_append(out, b->s, b->len);
}

/* Lowercase ASCII of a UTF-8 text, for domains, e-mails and URL slugs:
 * letters and digits are kept, the accented letters of the name tables are
 * transliterated, anything else becomes `sep` (collapsed, never leading)
 * or is dropped when sep is 0. */
static const struct {
    const char *utf8;
    const char *ascii;
} translit[] = {
    {"ä", "a"}, {"ö", "o"}, {"ü", "u"}, {"ß", "ss"}, {"Ä", "a"}, {"Ö", "o"},
    {"Ü", "u"}, {"é", "e"}, {"è", "e"}, {"ê", "e"}, {"ë", "e"}, {"É", "e"},
    {"á", "a"}, {"à", "a"}, {"â", "a"}, {"ã", "a"}, {"å", "a"}, {"Å", "a"},
    {"æ", "ae"}, {"ø", "o"}, {"Ø", "o"}, {"ó", "o"}, {"ô", "o"}, {"õ", "o"},
    {"í", "i"}, {"ï", "i"}, {"ú", "u"}, {"ñ", "n"}, {"ç", "c"}, {"ł", "l"},
    {"Ł", "l"}, {"ś", "s"}, {"ź", "z"}, {"ż", "z"}, {"ą", "a"}, {"ę", "e"},
    {"ć", "c"}, {"ń", "n"}, {"ř", "r"}, {"č", "c"}, {"Č", "c"}, {"ý", "y"},
    {"ı", "i"}, {"İ", "i"}, {"ş", "s"}, {"ğ", "g"},
};

static size_t utf8_len(unsigned char c)
{
    if (c >= 0xF0)
        return 4;
    if (c >= 0xE0)
        return 3;
    if (c >= 0xC0)
        return 2;
    return 1;
}

/* The transliteration of the UTF-8 sequence at s (n bytes), or "". */
static const char *translit_of(const char *s, size_t n)
{
    for (size_t i = 0; i < COUNT(translit); i++) {
        if (strncmp(translit[i].utf8, s, n) == 0 && translit[i].utf8[n] == '\0')
            return translit[i].ascii;
    }
    return "";
}

static void tb_put_ascii(tbuf *b, const char *s, char sep)
{
    int pending_sep = 0;
    size_t start = b->len;
    while (*s != '\0') {
        unsigned char c = (unsigned char)*s;
        const char *piece = NULL;
        char one[2] = {0, 0};
        size_t n = 1;
        if (c >= 0x80) {
            n = utf8_len(c);
            if (strnlen(s, n) < n)
                break;
            piece = translit_of(s, n);
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            one[0] = (char)c;
            piece = one;
        } else if (c >= 'A' && c <= 'Z') {
            one[0] = (char)(c - 'A' + 'a');
            piece = one;
        }
        s += n;
        if (piece == NULL || piece[0] == '\0') {
            /* An apostrophe joins ("O'Brien" -> "obrien"); the rest
             * separates. */
            if (c != '\'' && piece == NULL)
                pending_sep = 1;
            continue;
        }
        if (pending_sep && sep != 0 && b->len > start)
            tb_put(b, &sep, 1);
        pending_sep = 0;
        tb_put(b, piece, piece == one ? 1 : strlen(piece));
    }
}

/* ---- Per-country tables ------------------------------------------------- */

/* Naming cultures: which first and last names a country's people have. */
enum {
    CULT_ANGLO, CULT_GERMANIC, CULT_ROMANCE, CULT_SLAVIC, CULT_INDIAN,
    CULT_EAST_ASIAN, CULT_ARABIC, N_CULTURES
};

/* Legal forms appended to some company names. */
enum {
    LEGAL_US, LEGAL_UK, LEGAL_DE, LEGAL_FR, LEGAL_NL, LEGAL_ES, LEGAL_BR,
    LEGAL_IN, LEGAL_NORDIC, LEGAL_IT, LEGAL_AU, LEGAL_OTHER, N_LEGAL
};
static const char *const legal_forms[N_LEGAL][3] = {
    [LEGAL_US] = {"Inc.", "LLC", "Corp."},
    [LEGAL_UK] = {"Ltd", "Ltd.", "PLC"},
    [LEGAL_DE] = {"GmbH", "AG", "GmbH & Co. KG"},
    [LEGAL_FR] = {"SAS", "SA", "SARL"},
    [LEGAL_NL] = {"B.V.", "N.V.", "B.V."},
    [LEGAL_ES] = {"S.L.", "S.A.", "S.A. de C.V."},
    [LEGAL_BR] = {"Ltda.", "S.A.", "Ltda."},
    [LEGAL_IN] = {"Pvt Ltd", "Private Limited", "Ltd"},
    [LEGAL_NORDIC] = {"AB", "AS", "A/S"},
    [LEGAL_IT] = {"S.r.l.", "S.p.A.", "S.r.l."},
    [LEGAL_AU] = {"Pty Ltd", "Pty. Ltd.", "Ltd"},
    [LEGAL_OTHER] = {"Ltd", "Group", "Holdings"},
};

#define MAX_CITIES 6

typedef struct country_extra {
    const char *iso3;
    uint8_t culture;
    uint8_t legal;
    const char *tld;
    const char *phone;          /* calling code with "+" */
    const char *cities[MAX_CITIES];
} country_extra;

/* The countries that carry most records. Others get a mixed culture,
 * ".com", a "+1" fictional number and no city. */
static const country_extra country_extras[] = {
    {"USA", CULT_ANGLO, LEGAL_US, ".com", "+1",
     {"New York", "San Francisco", "Austin", "Chicago", "Boston", "Seattle"}},
    {"GBR", CULT_ANGLO, LEGAL_UK, ".co.uk", "+44",
     {"London", "Manchester", "Edinburgh", "Bristol", "Cambridge"}},
    {"DEU", CULT_GERMANIC, LEGAL_DE, ".de", "+49",
     {"Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main"}},
    {"IND", CULT_INDIAN, LEGAL_IN, ".in", "+91",
     {"Bengaluru", "Mumbai", "New Delhi", "Hyderabad", "Pune", "Chennai"}},
    {"FRA", CULT_ROMANCE, LEGAL_FR, ".fr", "+33",
     {"Paris", "Lyon", "Toulouse", "Nantes", "Bordeaux"}},
    {"CAN", CULT_ANGLO, LEGAL_US, ".ca", "+1",
     {"Toronto", "Vancouver", "Montréal", "Ottawa", "Calgary"}},
    {"BRA", CULT_ROMANCE, LEGAL_BR, ".com.br", "+55",
     {"São Paulo", "Rio de Janeiro", "Belo Horizonte", "Curitiba", "Florianópolis"}},
    {"AUS", CULT_ANGLO, LEGAL_AU, ".com.au", "+61",
     {"Sydney", "Melbourne", "Brisbane", "Perth"}},
    {"NLD", CULT_GERMANIC, LEGAL_NL, ".nl", "+31",
     {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven"}},
    {"ESP", CULT_ROMANCE, LEGAL_ES, ".es", "+34",
     {"Madrid", "Barcelona", "Valencia", "Málaga"}},
    {"ITA", CULT_ROMANCE, LEGAL_IT, ".it", "+39",
     {"Milano", "Roma", "Torino", "Bologna"}},
    {"CHN", CULT_EAST_ASIAN, LEGAL_OTHER, ".cn", "+86",
     {"Shanghai", "Beijing", "Shenzhen", "Hangzhou"}},
    {"MEX", CULT_ROMANCE, LEGAL_ES, ".mx", "+52",
     {"Ciudad de México", "Guadalajara", "Monterrey"}},
    {"JPN", CULT_EAST_ASIAN, LEGAL_OTHER, ".jp", "+81",
     {"Tokyo", "Osaka", "Fukuoka"}},
    {"CHE", CULT_GERMANIC, LEGAL_DE, ".ch", "+41",
     {"Zürich", "Genève", "Basel", "Lausanne"}},
    {"SWE", CULT_GERMANIC, LEGAL_NORDIC, ".se", "+46",
     {"Stockholm", "Göteborg", "Malmö"}},
    {"SGP", CULT_EAST_ASIAN, LEGAL_OTHER, ".sg", "+65", {"Singapore"}},
    {"ISR", CULT_ANGLO, LEGAL_OTHER, ".co.il", "+972",
     {"Tel Aviv", "Jerusalem", "Haifa"}},
    {"ARE", CULT_ARABIC, LEGAL_OTHER, ".ae", "+971", {"Dubai", "Abu Dhabi"}},
    {"POL", CULT_SLAVIC, LEGAL_OTHER, ".pl", "+48",
     {"Warszawa", "Kraków", "Wrocław"}},
    {"IRL", CULT_ANGLO, LEGAL_UK, ".ie", "+353", {"Dublin", "Cork", "Galway"}},
    {"BEL", CULT_GERMANIC, LEGAL_NL, ".be", "+32",
     {"Brussels", "Antwerp", "Ghent"}},
    {"DNK", CULT_GERMANIC, LEGAL_NORDIC, ".dk", "+45", {"Copenhagen", "Aarhus"}},
    {"NOR", CULT_GERMANIC, LEGAL_NORDIC, ".no", "+47", {"Oslo", "Bergen"}},
    {"AUT", CULT_GERMANIC, LEGAL_DE, ".at", "+43", {"Wien", "Graz", "Linz"}},
    {"ARG", CULT_ROMANCE, LEGAL_ES, ".com.ar", "+54",
     {"Buenos Aires", "Córdoba", "Rosario"}},
    {"ZAF", CULT_ANGLO, LEGAL_AU, ".co.za", "+27",
     {"Cape Town", "Johannesburg", "Durban"}},
    {"TUR", CULT_ARABIC, LEGAL_OTHER, ".com.tr", "+90",
     {"İstanbul", "Ankara", "İzmir"}},
    {"KOR", CULT_EAST_ASIAN, LEGAL_OTHER, ".kr", "+82", {"Seoul", "Busan"}},
    {"FIN", CULT_GERMANIC, LEGAL_NORDIC, ".fi", "+358",
     {"Helsinki", "Espoo", "Tampere"}},
    {"COL", CULT_ROMANCE, LEGAL_ES, ".co", "+57", {"Bogotá", "Medellín"}},
    {"NGA", CULT_ANGLO, LEGAL_UK, ".ng", "+234", {"Lagos", "Abuja"}},
    {"IDN", CULT_EAST_ASIAN, LEGAL_OTHER, ".co.id", "+62", {"Jakarta", "Bandung"}},
    {"PRT", CULT_ROMANCE, LEGAL_BR, ".pt", "+351", {"Lisboa", "Porto"}},
    {"CHL", CULT_ROMANCE, LEGAL_ES, ".cl", "+56", {"Santiago"}},
    {"SAU", CULT_ARABIC, LEGAL_OTHER, ".sa", "+966", {"Riyadh", "Jeddah"}},
    {"HKG", CULT_EAST_ASIAN, LEGAL_UK, ".hk", "+852", {"Hong Kong"}},
    {"PHL", CULT_ROMANCE, LEGAL_OTHER, ".ph", "+63", {"Manila", "Cebu City"}},
    {"NZL", CULT_ANGLO, LEGAL_UK, ".co.nz", "+64", {"Auckland", "Wellington"}},
    {"UKR", CULT_SLAVIC, LEGAL_OTHER, ".ua", "+380", {"Kyiv", "Lviv"}},
    {"KEN", CULT_ANGLO, LEGAL_UK, ".co.ke", "+254", {"Nairobi", "Mombasa"}},
    {"EGY", CULT_ARABIC, LEGAL_OTHER, ".com.eg", "+20", {"Cairo", "Alexandria"}},
    {"TWN", CULT_EAST_ASIAN, LEGAL_OTHER, ".tw", "+886", {"Taipei", "Hsinchu"}},
    {"MYS", CULT_EAST_ASIAN, LEGAL_OTHER, ".my", "+60",
     {"Kuala Lumpur", "Penang"}},
    {"VNM", CULT_EAST_ASIAN, LEGAL_OTHER, ".vn", "+84",
     {"Ho Chi Minh City", "Hanoi"}},
    {"CZE", CULT_SLAVIC, LEGAL_OTHER, ".cz", "+420", {"Praha", "Brno"}},
    {"ROU", CULT_SLAVIC, LEGAL_OTHER, ".ro", "+40", {"București", "Cluj-Napoca"}},
};

/* ---- Name tables -------------------------------------------------------- */

typedef struct name_pool {
    const char *first[24];
    const char *last[24];
} name_pool;

static const name_pool name_pools[N_CULTURES] = {
    [CULT_ANGLO] = {
        {"James", "Mary", "John", "Patricia", "Michael", "Jennifer", "David",
         "Linda", "Sarah", "Emily", "Daniel", "Jessica", "Chris", "Ashley",
         "Zoë", "Liam", "Olivia", "Noah", "Emma", "Ryan", "Megan", "Sean",
         "Aoife", "Siobhan"},
        {"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
         "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Clark", "Walker",
         "O'Brien", "O'Connor", "McDonald", "Murphy", "Campbell", "Hughes",
         "Evans", "Robinson", "Wright", "Baker"}},
    [CULT_GERMANIC] = {
        {"Lukas", "Jonas", "Leon", "Felix", "Maximilian", "Anna", "Lea",
         "Hannah", "Sophie", "Katharina", "Jürgen", "Jörg", "Björn", "Søren",
         "Lars", "Ingrid", "Astrid", "Sven", "Pieter", "Daan", "Sanne", "Anke",
         "Matthias", "Stefanie"},
        {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
         "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Schäfer", "Keller",
         "Brandt", "Jansen", "de Vries", "van Dijk", "Bakker", "Andersson",
         "Johansson", "Nielsen", "Hansen", "Larsen", "Østergaard"}},
    [CULT_ROMANCE] = {
        {"José", "María", "Juan", "Lucía", "Carlos", "Sofía", "Javier",
         "Camila", "Mateo", "Valentina", "João", "Ana", "Pedro", "Beatriz",
         "Gonçalo", "Pierre", "Camille", "Théo", "Chloé", "Hélène", "Luca",
         "Giulia", "Marco", "Francesca"},
        {"García", "Martínez", "Rodríguez", "López", "González", "Hernández",
         "Pérez", "Sánchez", "Silva", "Santos", "Oliveira", "Pereira",
         "Conceição", "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau",
         "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "D'Angelo"}},
    [CULT_SLAVIC] = {
        {"Łukasz", "Piotr", "Katarzyna", "Agnieszka", "Tomasz", "Małgorzata",
         "Jakub", "Zofia", "Jan", "Tereza", "Petr", "Olena", "Andriy",
         "Oksana", "Dmytro", "Ioana", "Andrei", "Elena", "Mihai", "Marta"},
        {"Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kamińska",
         "Lewandowski", "Zieliński", "Novák", "Svoboda", "Dvořák", "Černý",
         "Shevchenko", "Kovalenko", "Bondarenko", "Popescu", "Ionescu", "Popa",
         "Rusu"}},
    [CULT_INDIAN] = {
        {"Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Priya", "Ananya",
         "Diya", "Kavya", "Neha", "Rahul", "Vikram", "Sanjay", "Pooja",
         "Deepika", "Amit", "Suresh", "Lakshmi", "Imran", "Fatima"},
        {"Sharma", "Verma", "Gupta", "Patel", "Singh", "Kumar", "Reddy", "Iyer",
         "Nair", "Menon", "Rao", "Das", "Chatterjee", "Banerjee", "Mehta",
         "Shah", "Joshi", "Agarwal", "Khan", "Pillai"}},
    [CULT_EAST_ASIAN] = {
        {"Wei", "Fang", "Jun", "Hao", "Mei", "Xin", "Yuki", "Haruto", "Sakura",
         "Hiroshi", "Aiko", "Kenji", "Min-jun", "Seo-yeon", "Ji-ho", "Hye-jin",
         "Kai", "Ming", "Yan", "Lian"},
        {"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu",
         "Zhou", "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Kim",
         "Lee", "Park", "Choi", "Jung"}},
    [CULT_ARABIC] = {
        {"Mohammed", "Ahmed", "Omar", "Ali", "Youssef", "Khalid", "Hassan",
         "Layla", "Fatima", "Aisha", "Noor", "Mariam", "Sara", "Yasmin",
         "Karim", "Rania", "Tariq", "Hana", "Emre", "Elif"},
        {"Al-Farsi", "Al-Mansouri", "Haddad", "Hassan", "Ibrahim", "Khalil",
         "Mansour", "Nasser", "Saleh", "Suleiman", "El-Sayed", "Abdullah",
         "Al-Rashid", "Farouk", "Aziz", "Hamdan", "Yılmaz", "Kaya"}},
};

/* Number of non-NULL entries of a fixed array of names. */
static uint32_t pool_size(const char *const *names, size_t cap)
{
    uint32_t n = 0;
    while (n < cap && names[n] != NULL)
        n++;
    return n;
}

static const char *pool_pick(const char *const *names, size_t cap, uint64_t h)
{
    return names[hash_below(h, pool_size(names, cap))];
}

/* Words of company names. */
static const char *const name_prefixes[] = {
    "Nova", "Blue", "Bright", "Clear", "Swift", "Open", "True", "Deep",
    "Quant", "Cloud", "Data", "Pixel", "Vertex", "Apex", "Zen", "Lumen",
    "Terra", "Aero", "Hyper", "Nimbus", "Orbit", "Stellar", "Cobalt",
    "Silver", "North", "Iron", "Green", "Alpha", "Sky", "Sun", "Polar", "Kite",
};
static const char *const name_suffixes[] = {
    "ly", "io", "ify", "hub", "labs", "works", "base", "stack", "flow",
    "wise", "grid", "loop", "point", "scale", "forge", "sync", "mind", "path",
    "bit", "wave", "gate", "verse", "nest", "spark",
};
static const char *const name_nouns[] = {
    "Harbor", "Ridge", "Peak", "Bridge", "River", "Meadow", "Summit", "Field",
    "Stone", "Oak", "Lake", "Crest", "Valley", "Horizon", "Beacon", "Falcon",
};
static const char *const name_kinds[] = {
    "Systems", "Technologies", "Solutions", "Labs", "Analytics", "Partners",
    "Group", "Consulting", "Health", "Logistics", "Capital", "Media",
    "Robotics", "Software", "Networks", "Dynamics", "Foods", "Energy",
    "Studios", "Ventures",
};
/* "& Sons" in a few languages, for the family-business pattern. */
static const char *const family_words[N_CULTURES] = {
    [CULT_ANGLO] = "Sons", [CULT_GERMANIC] = "Söhne", [CULT_ROMANCE] = "Hijos",
    [CULT_SLAVIC] = "Synowie", [CULT_INDIAN] = "Sons",
    [CULT_EAST_ASIAN] = "Sons", [CULT_ARABIC] = "Sons",
};

/* ---- One-time tables ---------------------------------------------------- */

#define MAX_COUNTRIES 512

typedef void (*company_cell_fn)(const dataset *ds, uint32_t c, strbuf *out);
typedef void (*prospect_cell_fn)(const dataset *ds, uint32_t p,
                                 unsigned revealed, strbuf *out);

/* Built once per process from names (see render_init): country -> extra
 * data, column index -> renderer. Read-only afterwards. */
static struct {
    const country_extra *country[MAX_COUNTRIES];
    company_cell_fn company_cell[VOCAB_N_COMPANY_COLUMNS];
    prospect_cell_fn prospect_cell[VOCAB_N_PROSPECT_COLUMNS];
    int8_t prospect_company_col[VOCAB_N_PROSPECT_COLUMNS]; /* -1: none */
} rt;
static pthread_once_t rt_once = PTHREAD_ONCE_INIT;

static void render_init(void);

static const country_extra *extra_of(uint16_t country)
{
    pthread_once(&rt_once, render_init);
    return country < MAX_COUNTRIES ? rt.country[country] : NULL;
}

/* ---- Company texts ------------------------------------------------------ */

static uint64_t chash(const dataset *ds, uint32_t c, uint32_t field)
{
    return field_hash(ds, KIND_COMPANY, c, field);
}

static uint64_t phash(const dataset *ds, uint32_t p, uint32_t field)
{
    return field_hash(ds, KIND_PROSPECT, p, field);
}

static int company_culture(const dataset *ds, uint32_t c)
{
    const country_extra *x = extra_of(ds->companies[c].country);
    if (x != NULL)
        return x->culture;
    return (int)hash_below(chash(ds, c, F_CULTURE), N_CULTURES);
}

static const char *culture_surname(int culture, uint64_t h)
{
    return pool_pick(name_pools[culture].last, COUNT(name_pools[culture].last), h);
}

/* Name patterns, by share per mille: invented words, nature words,
 * surnames, partner surnames, family businesses, and a rare quoted name
 * (which, with the commas of legal forms, exercises CSV quoting). */
enum { PAT_COINED, PAT_NATURE, PAT_SURNAME, PAT_PARTNERS, PAT_FAMILY, PAT_QUOTED };
static const struct {
    uint16_t upto;  /* cumulative per mille */
    uint8_t pattern;
} name_patterns[] = {
    {400, PAT_COINED}, {650, PAT_NATURE}, {830, PAT_SURNAME},
    {950, PAT_PARTNERS}, {985, PAT_FAMILY}, {1000, PAT_QUOTED},
};

static int name_pattern(const dataset *ds, uint32_t c)
{
    uint32_t roll = hash_below(chash(ds, c, F_NAME_PATTERN), 1000);
    size_t i = 0;
    while (roll >= name_patterns[i].upto)
        i++;
    return name_patterns[i].pattern;
}

/* The name without its legal form: what the domain is made of. */
static void company_core_name(const dataset *ds, uint32_t c, tbuf *b)
{
    uint64_t ha = chash(ds, c, F_NAME_A);
    uint64_t hb = chash(ds, c, F_NAME_B);
    uint64_t hk = chash(ds, c, F_NAME_KIND);
    int culture = company_culture(ds, c);

    switch (name_pattern(ds, c)) {
    case PAT_COINED:
        tb_puts(b, PICK(ha, name_prefixes));
        tb_puts(b, PICK(hb, name_suffixes));
        if (hash_below(hk, 2) == 0) {
            tb_puts(b, " ");
            tb_puts(b, PICK(hk, name_kinds));
        }
        break;
    case PAT_NATURE:
        tb_puts(b, PICK(ha, name_prefixes));
        tb_puts(b, " ");
        tb_puts(b, PICK(hb, name_nouns));
        tb_puts(b, " ");
        tb_puts(b, PICK(hk, name_kinds));
        break;
    case PAT_SURNAME:
        tb_puts(b, culture_surname(culture, ha));
        tb_puts(b, " ");
        tb_puts(b, PICK(hk, name_kinds));
        break;
    case PAT_PARTNERS:
        tb_puts(b, culture_surname(culture, ha));
        tb_puts(b, " & ");
        tb_puts(b, culture_surname(culture, hb ^ 1));
        break;
    case PAT_FAMILY:
        tb_puts(b, culture_surname(culture, ha));
        tb_puts(b, " & ");
        tb_puts(b, family_words[culture]);
        break;
    default: /* PAT_QUOTED */
        tb_puts(b, PICK(hk, name_kinds));
        tb_puts(b, " \"");
        tb_puts(b, PICK(ha, name_prefixes));
        tb_puts(b, PICK(hb, name_suffixes));
        tb_puts(b, "\"");
        break;
    }
}

static void company_name(const dataset *ds, uint32_t c, tbuf *b)
{
    uint64_t h = chash(ds, c, F_LEGAL);
    const country_extra *x = extra_of(ds->companies[c].country);
    int family = name_pattern(ds, c) == PAT_FAMILY;

    company_core_name(ds, c, b);
    /* About half the names carry a legal form; family businesses always do,
     * after a comma ("Müller & Söhne, GmbH"). */
    if (!family && hash_below(h, 100) >= 45)
        return;
    const char *const *forms = legal_forms[x != NULL ? x->legal : LEGAL_OTHER];
    int comma = family || hash_below(h >> 8, 100) < 30;
    tb_puts(b, comma ? ", " : " ");
    tb_puts(b, forms[hash_below(h >> 16, 3)]);
}

static void company_domain(const dataset *ds, uint32_t c, tbuf *b)
{
    tbuf core;
    const country_extra *x = extra_of(ds->companies[c].country);
    uint64_t h = chash(ds, c, F_TLD);

    tb_init(&core);
    company_core_name(ds, c, &core);
    tb_put_ascii(b, core.s, 0);
    if (hash_below(h, 100) < 12)
        tb_puts(b, hash_below(h >> 8, 2) ? ".io" : ".ai");
    else if (x != NULL && hash_below(h >> 16, 100) < 70)
        tb_puts(b, x->tld);
    else
        tb_puts(b, ".com");
}

static const char *company_city(const dataset *ds, uint32_t c)
{
    const country_extra *x = extra_of(ds->companies[c].country);
    if (x == NULL)
        return "";
    uint32_t n = pool_size(x->cities, MAX_CITIES);
    return n > 0 ? x->cities[hash_below(chash(ds, c, F_CITY), n)] : "";
}

static int first_industry(const ds_company *co)
{
    return co->industries ? __builtin_ctzll(co->industries) : -1;
}

/* The k-th keyword (k = 0 or 1) a description mentions: two different ones
 * when the company has two. */
static const char *company_keyword(const dataset *ds, uint32_t c, int k)
{
    static const char *const fallback[] = {
        "automation", "analytics", "customer experience", "digital services",
    };
    uint64_t mask = ds->companies[c].keywords;
    int n = __builtin_popcountll(mask);
    /* A company with a single keyword pairs it with a generic theme rather
     * than repeating it ("consulting and consulting"). */
    if (n == 0 || (k == 1 && n == 1))
        return PICK(chash(ds, c, F_DESC_KW) >> 8, fallback);
    uint32_t i = (hash_below(chash(ds, c, F_DESC_KW), (uint32_t)n) + (uint32_t)k) % (uint32_t)n;
    while (i-- > 0)
        mask &= mask - 1;
    return vocab_keywords[__builtin_ctzll(mask)];
}

/* Description templates: {n} name, {1} {2} keywords, {i} industry, {c}
 * country, {y} founding year. Weights favour plain sentences; a few carry
 * commas, one a double quote, one a line break. */
static const struct {
    uint16_t weight;
    const char *text;
} desc_templates[] = {
    {20, "{n} builds {1} products for {i} teams."},
    {20, "{n} is a {i} company based in {c}, focused on {1} and {2}."},
    {18, "Founded in {y}, {n} helps businesses with {1}, {2} and more."},
    {16, "{n} provides {1} solutions to customers in {c} and abroad."},
    {12, "We make {1} simple, fast, and affordable."},
    {10, "{n}: {1} for the {i} industry."},
    {2, "{n} calls itself \"the {1} company\"."},
    {2, "{n} offers {1} and {2}.\nHeadquartered in {c}."},
};

static void put_lower_ascii(tbuf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        char ch = *s;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        tb_put(b, &ch, 1);
    }
}

static void expand_placeholder(const dataset *ds, uint32_t c, char key, tbuf *b)
{
    const ds_company *co = &ds->companies[c];
    int ind = first_industry(co);

    switch (key) {
    case 'n':
        company_core_name(ds, c, b);
        break;
    case '1':
    case '2':
        tb_puts(b, company_keyword(ds, c, key - '1'));
        break;
    case 'i':
        put_lower_ascii(b, ind >= 0 ? vocab_industry_names[ind] : "business");
        break;
    case 'c':
        tb_puts(b, vocab_countries[co->country].name);
        break;
    case 'y':
        tb_putu(b, co->founded_year);
        break;
    default:
        break;
    }
}

static void company_description(const dataset *ds, uint32_t c, tbuf *b)
{
    uint32_t total = 0;
    for (size_t i = 0; i < COUNT(desc_templates); i++)
        total += desc_templates[i].weight;
    uint32_t roll = hash_below(chash(ds, c, F_DESC_TEMPLATE), total);
    size_t t = 0;
    while (roll >= desc_templates[t].weight) {
        roll -= desc_templates[t].weight;
        t++;
    }
    for (const char *s = desc_templates[t].text; *s != '\0'; s++) {
        if (s[0] == '{' && s[1] != '\0' && s[2] == '}') {
            expand_placeholder(ds, c, s[1], b);
            s += 2;
        } else {
            tb_put(b, s, 1);
        }
    }
}

/* Base-36 digits of v: a short, unique suffix for profile slugs. */
static void tb_put_base36(tbuf *b, uint64_t v)
{
    char digits[16];
    size_t n = 0;
    do {
        digits[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
        v /= 36;
    } while (v != 0 && n < sizeof digits);
    while (n > 0)
        tb_put(b, &digits[--n], 1);
}

static void company_linkedin(const dataset *ds, uint32_t c, tbuf *b)
{
    tbuf core;
    tb_init(&core);
    company_core_name(ds, c, &core);
    tb_puts(b, "https://www.linkedin.com/company/");
    tb_put_ascii(b, core.s, '-');
    tb_puts(b, "-");
    tb_put_base36(b, id48(ds->seed, 0x11CEull, c));
}

/* Bounds of the employeeCountV2 bucket the count falls in: the largest
 * bound below it and the next one (none above the last bound). */
static void employee_bucket(uint32_t count, int *lower, int *upper)
{
    int i = VOCAB_N_EMPLOYEE_BOUNDS - 1;
    while (i > 0 && (uint32_t)vocab_employee_bounds[i] >= count)
        i--;
    *lower = vocab_employee_bounds[i];
    *upper = i + 1 < VOCAB_N_EMPLOYEE_BOUNDS ? vocab_employee_bounds[i + 1] : -1;
}

/* ---- Company cells ------------------------------------------------------ */

static void cc_id(const dataset *ds, uint32_t c, strbuf *out)
{
    char id[24];
    ds_company_id(ds, c, id);
    strbuf_puts(out, id);
}

/* Declares a cell renderer that builds a tbuf with `fn` and appends it. */
#define TBUF_CELL(name, fn)                                           \
    static void name(const dataset *ds, uint32_t c, strbuf *out)     \
    {                                                                 \
        tbuf b;                                                       \
        tb_init(&b);                                                  \
        fn(ds, c, &b);                                                \
        tb_out(&b, out);                                              \
    }

TBUF_CELL(cc_name, company_name)
TBUF_CELL(cc_domain, company_domain)
TBUF_CELL(cc_description, company_description)
TBUF_CELL(cc_linkedin, company_linkedin)

static void cc_website(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_puts(out, "https://www.");
    cc_domain(ds, c, out);
}

static void cc_industries(const dataset *ds, uint32_t c, strbuf *out)
{
    const char *sep = "";
    for (uint64_t m = ds->companies[c].industries; m != 0; m &= m - 1) {
        strbuf_puts(out, sep);
        strbuf_puts(out, vocab_industry_names[__builtin_ctzll(m)]);
        sep = "; ";
    }
}

static void cc_keywords(const dataset *ds, uint32_t c, strbuf *out)
{
    const char *sep = "";
    for (uint64_t m = ds->companies[c].keywords; m != 0; m &= m - 1) {
        strbuf_puts(out, sep);
        strbuf_puts(out, vocab_keywords[__builtin_ctzll(m)]);
        sep = "; ";
    }
}

static void cc_city(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_puts(out, company_city(ds, c));
}

static void cc_country(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_puts(out, vocab_countries[ds->companies[c].country].name);
}

static void cc_country_code(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_puts(out, vocab_countries[ds->companies[c].country].iso2);
}

static void cc_employees_lower(const dataset *ds, uint32_t c, strbuf *out)
{
    int lower, upper;
    employee_bucket(ds->companies[c].employee_count, &lower, &upper);
    strbuf_printf(out, "%d", lower);
}

static void cc_employees_upper(const dataset *ds, uint32_t c, strbuf *out)
{
    int lower, upper;
    employee_bucket(ds->companies[c].employee_count, &lower, &upper);
    if (upper >= 0)
        strbuf_printf(out, "%d", upper);
}

static void cc_founded(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_printf(out, "%04u-01-01", (unsigned)ds->companies[c].founded_year);
}

static void cc_stage(const dataset *ds, uint32_t c, strbuf *out)
{
    strbuf_puts(out, vocab_stages[ds->companies[c].stage]);
}

static void cc_funding(const dataset *ds, uint32_t c, strbuf *out)
{
    uint32_t k = ds->companies[c].total_funding_kusd;
    if (k > 0)
        strbuf_printf(out, "%llu", (unsigned long long)k * 1000ull);
}

static const struct {
    const char *column;
    company_cell_fn fn;
} company_renderers[] = {
    {"descovo_id", cc_id},
    {"name", cc_name},
    {"all_names", cc_name},
    {"website", cc_website},
    {"domain", cc_domain},
    {"linkedin_url", cc_linkedin},
    {"description", cc_description},
    {"standard_industries", cc_industries},
    {"hq_city", cc_city},
    {"hq_country", cc_country},
    {"hq_country_code", cc_country_code},
    {"employee_count_lower", cc_employees_lower},
    {"employee_count_upper", cc_employees_upper},
    {"founded_on", cc_founded},
    {"funding_stage", cc_stage},
    {"total_funding_usd", cc_funding},
    {"tags", cc_keywords},
    {"specialties", cc_keywords},
};

/* ---- Prospect texts ----------------------------------------------------- */

static int prospect_culture(const dataset *ds, uint32_t p)
{
    const country_extra *x = extra_of(ds->prospects[p].country);
    uint64_t h = phash(ds, p, F_CULTURE);
    /* Most people carry their country's names; some another culture's. */
    if (x != NULL && hash_below(h, 100) < 85)
        return x->culture;
    return (int)hash_below(h >> 8, N_CULTURES);
}

static const char *first_name(const dataset *ds, uint32_t p)
{
    const name_pool *pool = &name_pools[prospect_culture(ds, p)];
    return pool_pick(pool->first, COUNT(pool->first), phash(ds, p, F_FIRST));
}

static const char *last_name(const dataset *ds, uint32_t p)
{
    const name_pool *pool = &name_pools[prospect_culture(ds, p)];
    return pool_pick(pool->last, COUNT(pool->last), phash(ds, p, F_LAST));
}

static const char *prospect_city(const dataset *ds, uint32_t p)
{
    const ds_prospect *pr = &ds->prospects[p];
    if (pr->country == ds->companies[pr->company].country)
        return company_city(ds, pr->company);
    const country_extra *x = extra_of(pr->country);
    uint32_t n = x != NULL ? pool_size(x->cities, MAX_CITIES) : 0;
    return n > 0 ? x->cities[hash_below(phash(ds, p, F_CITY), n)] : "";
}

static void prospect_linkedin(const dataset *ds, uint32_t p, tbuf *b)
{
    tb_puts(b, "https://www.linkedin.com/in/");
    tb_put_ascii(b, first_name(ds, p), '-');
    tb_puts(b, "-");
    tb_put_ascii(b, last_name(ds, p), '-');
    tb_puts(b, "-");
    tb_put_base36(b, id48(ds->seed, 0x1B0Full, p));
}

static void work_email(const dataset *ds, uint32_t p, tbuf *b)
{
    const char *first = first_name(ds, p);
    uint32_t style = hash_below(phash(ds, p, F_EMAIL_STYLE), 100);

    if (style < 60) {          /* jose.garcia@ */
        tb_put_ascii(b, first, 0);
        tb_puts(b, ".");
        tb_put_ascii(b, last_name(ds, p), 0);
    } else if (style < 85) {   /* jgarcia@ */
        tbuf f;
        tb_init(&f);
        tb_put_ascii(&f, first, 0);
        tb_put(b, f.s, f.len > 0 ? 1 : 0);
        tb_put_ascii(b, last_name(ds, p), 0);
    } else {                   /* jose@ */
        tb_put_ascii(b, first, 0);
    }
    tb_puts(b, "@");
    company_domain(ds, ds->prospects[p].company, b);
}

static void personal_email(const dataset *ds, uint32_t p, tbuf *b)
{
    static const char *const domains[] = {
        "example.com", "example.net", "example.org",
    };
    uint64_t h = phash(ds, p, F_PERSONAL_EMAIL);

    tb_put_ascii(b, first_name(ds, p), 0);
    tb_puts(b, hash_below(h, 2) ? "." : "");
    tb_put_ascii(b, last_name(ds, p), 0);
    tb_putu(b, 1 + hash_below(h >> 8, 99));
    tb_puts(b, "@");
    tb_puts(b, PICK(h >> 16, domains));
}

/* Fictional numbers: "+1 NPA 555-01xx" in North America (the range set
 * aside for fiction), "+cc 555 xxxxxx" elsewhere. */
static void phone_number(const dataset *ds, uint32_t p, tbuf *b)
{
    static const char *const area_codes[] = {
        "212", "415", "512", "617", "206", "312", "303", "416", "604",
    };
    const country_extra *x = extra_of(ds->prospects[p].country);
    const char *code = x != NULL ? x->phone : "+1";
    uint64_t h = phash(ds, p, F_PHONE);

    tb_puts(b, code);
    if (strcmp(code, "+1") == 0) {
        tb_puts(b, " ");
        tb_puts(b, PICK(h, area_codes));
        tb_puts(b, " 555-01");
        tb_putu(b, hash_below(h >> 8, 10));
        tb_putu(b, hash_below(h >> 16, 10));
    } else {
        char digits[8];
        snprintf(digits, sizeof digits, "%06u", (unsigned)hash_below(h >> 8, 1000000));
        tb_puts(b, " 555 ");
        tb_puts(b, digits);
    }
}

static void prospect_headline(const dataset *ds, uint32_t p, tbuf *b)
{
    tb_puts(b, vocab_job_titles[ds->prospects[p].job_title].title);
    tb_puts(b, " at ");
    company_name(ds, ds->prospects[p].company, b);
}

/* ---- Prospect cells ----------------------------------------------------- */

static void pc_id(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    char id[24];
    (void)revealed;
    ds_prospect_id(ds, p, id);
    strbuf_puts(out, id);
}

static void pc_first(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, first_name(ds, p));
}

static void pc_last(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, last_name(ds, p));
}

static void pc_full(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, first_name(ds, p));
    strbuf_putc(out, ' ');
    strbuf_puts(out, last_name(ds, p));
}

static void pc_linkedin(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    tbuf b;
    (void)revealed;
    tb_init(&b);
    prospect_linkedin(ds, p, &b);
    tb_out(&b, out);
}

static void pc_title(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, vocab_job_titles[ds->prospects[p].job_title].title);
}

static void pc_headline(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    tbuf b;
    (void)revealed;
    tb_init(&b);
    prospect_headline(ds, p, &b);
    tb_out(&b, out);
}

static void pc_seniority(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, vocab_dynamic_groups[vocab_job_titles[ds->prospects[p].job_title].dynamic_group]);
}

static void pc_function(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, vocab_job_titles[ds->prospects[p].job_title].function);
}

static void pc_city(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, prospect_city(ds, p));
}

static void pc_country(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, vocab_countries[ds->prospects[p].country].name);
}

static void pc_country_code(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_puts(out, vocab_countries[ds->prospects[p].country].iso2);
}

static void pc_years(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    (void)revealed;
    strbuf_printf(out, "%u", (unsigned)ds->prospects[p].years_experience);
}

static void pc_tags(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    const char *sep = "";
    (void)revealed;
    for (unsigned m = ds->prospects[p].tags; m != 0; m &= m - 1) {
        strbuf_puts(out, sep);
        strbuf_puts(out, vocab_prospect_tags[__builtin_ctz(m)]);
        sep = "; ";
    }
}

static void pc_industry(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    int ind = first_industry(&ds->companies[ds->prospects[p].company]);
    (void)revealed;
    if (ind >= 0)
        strbuf_puts(out, vocab_industry_names[ind]);
}

/* Contact cells: filled only when the prospect has the detail and the
 * enrichment revealed it. */
static int shown(const dataset *ds, uint32_t p, unsigned revealed, unsigned what)
{
    return (ds->prospects[p].contacts & revealed & what) != 0;
}

static void pc_work_email(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    tbuf b;
    if (!shown(ds, p, revealed, DS_CONTACT_WORK_EMAIL))
        return;
    tb_init(&b);
    work_email(ds, p, &b);
    tb_out(&b, out);
}

static void pc_personal_email(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    tbuf b;
    if (!shown(ds, p, revealed, DS_CONTACT_PERSONAL_EMAIL))
        return;
    tb_init(&b);
    personal_email(ds, p, &b);
    tb_out(&b, out);
}

static void pc_phone(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    tbuf b;
    if (!shown(ds, p, revealed, DS_CONTACT_PHONE))
        return;
    tb_init(&b);
    phone_number(ds, p, &b);
    tb_out(&b, out);
}

static void pc_verified(const dataset *ds, uint32_t p, unsigned revealed, strbuf *out)
{
    if (shown(ds, p, revealed, DS_CONTACT_WORK_EMAIL | DS_CONTACT_PERSONAL_EMAIL))
        strbuf_puts(out, "true");
}

static const struct {
    const char *column;
    prospect_cell_fn fn;
} prospect_renderers[] = {
    {"descovo_id", pc_id},
    {"first_name", pc_first},
    {"last_name", pc_last},
    {"full_name", pc_full},
    {"profile_url", pc_linkedin},
    {"job_title", pc_title},
    {"headline", pc_headline},
    {"city", pc_city},
    {"country", pc_country},
    {"country_code", pc_country_code},
    {"work_email_1", pc_work_email},
    {"personal_email_1", pc_personal_email},
    {"emails_verified", pc_verified},
    {"phone_number_1", pc_phone},
    {"years_of_experience", pc_years},
    {"tags", pc_tags},
    {"industry", pc_industry},
    {"job_seniority", pc_seniority},
    {"job_function", pc_function},
};

/* Prospect columns that are a column of the prospect's company. */
static const struct {
    const char *prospect_column;
    const char *company_column;
} prospect_company_columns[] = {
    {"company", "name"},
    {"company_domain", "domain"},
    {"company_description", "description"},
    {"company_linkedin_url", "linkedin_url"},
    {"company_hq_city", "hq_city"},
    {"company_hq_country", "hq_country"},
    {"company_hq_country_code", "hq_country_code"},
    {"company_founding_date", "founded_on"},
    {"company_employee_count_lower", "employee_count_lower"},
    {"company_employee_count_upper", "employee_count_upper"},
    {"company_industries", "standard_industries"},
    {"company_funding_stage", "funding_stage"},
    {"company_total_funding_usd", "total_funding_usd"},
    {"company_tags", "tags"},
};

/* Resolves the name-keyed tables into index-keyed arrays. A name that does
 * not resolve leaves its column empty; test_dataset checks that every
 * renderer found its column. */
static void render_init(void)
{
    for (size_t i = 0; i < COUNT(country_extras); i++) {
        int c = vocab_country_find(country_extras[i].iso3);
        if (c >= 0 && c < MAX_COUNTRIES)
            rt.country[c] = &country_extras[i];
    }
    for (size_t i = 0; i < COUNT(company_renderers); i++) {
        int col = vocab_company_column_find(company_renderers[i].column);
        if (col >= 0)
            rt.company_cell[col] = company_renderers[i].fn;
    }
    for (size_t i = 0; i < VOCAB_N_PROSPECT_COLUMNS; i++)
        rt.prospect_company_col[i] = -1;
    for (size_t i = 0; i < COUNT(prospect_renderers); i++) {
        int col = vocab_prospect_column_find(prospect_renderers[i].column);
        if (col >= 0)
            rt.prospect_cell[col] = prospect_renderers[i].fn;
    }
    for (size_t i = 0; i < COUNT(prospect_company_columns); i++) {
        int pcol = vocab_prospect_column_find(prospect_company_columns[i].prospect_column);
        int ccol = vocab_company_column_find(prospect_company_columns[i].company_column);
        if (pcol >= 0 && ccol >= 0)
            rt.prospect_company_col[pcol] = (int8_t)ccol;
    }
}

void ds_company_cell(const dataset *ds, uint32_t company, int column, strbuf *out)
{
    pthread_once(&rt_once, render_init);
    if (company >= ds->n_companies || column < 0 || column >= VOCAB_N_COMPANY_COLUMNS)
        return;
    if (rt.company_cell[column] != NULL)
        rt.company_cell[column](ds, company, out);
}

void ds_prospect_cell(const dataset *ds, uint32_t prospect, int column,
                      unsigned revealed, strbuf *out)
{
    pthread_once(&rt_once, render_init);
    if (prospect >= ds->n_prospects || column < 0 || column >= VOCAB_N_PROSPECT_COLUMNS)
        return;
    if (rt.prospect_cell[column] != NULL)
        rt.prospect_cell[column](ds, prospect, revealed, out);
    else if (rt.prospect_company_col[column] >= 0)
        ds_company_cell(ds, ds->prospects[prospect].company,
                        rt.prospect_company_col[column], out);
}

/* ---- Page items --------------------------------------------------------- */

json_t *ds_company_item(const dataset *ds, uint32_t company)
{
    char id[24];
    tbuf name, url, domain;
    const ds_company *co = &ds->companies[company];
    int ind = first_industry(co);

    ds_company_id(ds, company, id);
    tb_init(&name);
    tb_init(&url);
    tb_init(&domain);
    company_name(ds, company, &name);
    company_linkedin(ds, company, &url);
    company_domain(ds, company, &domain);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}",
                     "companyId", id,
                     "name", name.s,
                     "linkedinUrl", url.s,
                     "domain", domain.s,
                     "industry", ind >= 0 ? vocab_industry_names[ind] : "",
                     "headcount", (json_int_t)co->employee_count);
}

json_t *ds_prospect_item(const dataset *ds, uint32_t prospect)
{
    char id[24];
    tbuf url, company, location;
    const ds_prospect *pr = &ds->prospects[prospect];
    const char *city = prospect_city(ds, prospect);

    ds_prospect_id(ds, prospect, id);
    tb_init(&url);
    tb_init(&company);
    tb_init(&location);
    prospect_linkedin(ds, prospect, &url);
    company_name(ds, pr->company, &company);
    if (city[0] != '\0') {
        tb_puts(&location, city);
        tb_puts(&location, ", ");
    }
    tb_puts(&location, vocab_countries[pr->country].name);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                     "prospectId", id,
                     "firstName", first_name(ds, prospect),
                     "lastName", last_name(ds, prospect),
                     "linkedinUrl", url.s,
                     "jobTitle", vocab_job_titles[pr->job_title].title,
                     "companyName", company.s,
                     "location", location.s);
}
