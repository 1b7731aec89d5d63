#!/usr/bin/env python3
"""Generates mockserver/data/vocab_data.c, the enumerations of the Descovo
Audiences API that the simulator validates filters against and builds its
synthetic database from, and conformance/columns.c, the export columns the
conformance suite expects (the suite does not link the server's tables, so
it gets its own copy, generated from the same source).

Inputs:
  - fixtures/vocabulary.json (enumerations taken from the public spec of
    the API; the first export column renamed descovo_id);
  - the ISO 3166-1 table of the Debian package iso-codes, for the alpha-2
    code and English name of each alpha-3 country code;
  - the tables below: alpha-3 codes iso-codes lacks, and the members of the
    region codes the simulator can expand.

Usage (from anywhere):
  python3 tools/gen_vocab.py           writes both files
  python3 tools/gen_vocab.py --check   writes nothing; exits 1, naming each
                                       file that differs from what it would
                                       write (ci/test.sh runs it)
  options: [path/to/vocabulary.json] [--iso path] [--out path]
           [--columns-out path]

Standard library only. The output is deterministic: running the script twice
gives the same files, so a diff after regeneration shows only real changes.
"""

import argparse
import json
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_VOCAB = os.path.join(REPO_ROOT, "fixtures", "vocabulary.json")
DEFAULT_ISO = "/usr/share/iso-codes/json/iso_3166-1.json"
DEFAULT_OUT = os.path.join(REPO_ROOT, "mockserver", "data", "vocab_data.c")
DEFAULT_COLUMNS_OUT = os.path.join(REPO_ROOT, "conformance", "columns.c")

# The spec's first export column carries a vendor prefix; ours is named
# after the API we simulate. The original name is never written out.
ID_COLUMN = "descovo_id"

# Alpha-3 codes of the vocabulary that ISO 3166-1 no longer (or never) lists.
EXTRA_COUNTRIES = {
    "XKX": ("XK", "Kosovo"),
    "ANT": ("AN", "Netherlands Antilles"),
}

EU27 = ("AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU "
        "LUX MLT NLD POL PRT ROU SVK SVN ESP SWE")

# Members of the region codes the simulator expands. Regions of the
# vocabulary that are not here are known but not simulated (members NULL):
# the filter accepts them and warns. X-EMEA is left out on purpose: it
# covers about half the world and would make a filter almost a no-op.
REGION_MEMBERS = {
    "X-DACH": "DEU AUT CHE",
    "X-NORDICS": "DNK FIN ISL NOR SWE",
    "X-BENELUX": "BEL NLD LUX",
    "X-EUROPEAN_UNION": EU27,
    "X-EFTA": "ISL LIE NOR CHE",
    "X-NORTH_AMERICA": "USA CAN MEX",
    "X-CENTRAL_AMERICA": "BLZ CRI SLV GTM HND NIC PAN",
    "X-SOUTH_AMERICA": "ARG BOL BRA CHL COL ECU GUY PRY PER SUR URY VEN",
    "X-LATAM": ("MEX GTM HND SLV NIC CRI PAN CUB DOM PRI HTI COL VEN ECU PER "
                "BOL BRA PRY CHL ARG URY"),
    "X-APAC": ("AUS NZL CHN HKG MAC TWN JPN KOR MNG SGP MYS IDN THA VNM PHL "
               "KHM LAO MMR BRN TLS IND PAK BGD LKA NPL BTN MDV FJI PNG"),
    "X-GCC": "ARE SAU QAT KWT OMN BHR",
    "X-MIDDLE_EAST": ("ARE SAU QAT KWT OMN BHR ISR JOR LBN SYR IRQ IRN YEM TUR "
                      "EGY PSE CYP"),
    "X-ANGLOSPHERE": "USA GBR CAN AUS NZL IRL",
    # Membership as of 2025 (the five founders, the 2024 entrants, Indonesia).
    "X-BRICS": "BRA RUS IND CHN ZAF EGY ETH IRN ARE IDN",
    # The 19 member countries (the two unions are not countries).
    "X-G20": ("ARG AUS BRA CAN CHN FRA DEU IND IDN ITA JPN KOR MEX RUS SAU ZAF "
              "TUR GBR USA"),
}


def slugify(name):
    """'Marketing & Advertising' -> 'marketing-and-advertising'."""
    s = name.lower().replace("&", " and ")
    s = re.sub(r"[^a-z0-9]+", "-", s)
    return s.strip("-")


def c_string(s):
    """A C string literal; UTF-8 is kept as is (C11 accepts it in literals)."""
    out = []
    for ch in s:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def string_array(decl, values):
    lines = [decl + " = {"]
    for v in values:
        lines.append("    %s," % c_string(v))
    lines.append("};")
    return "\n".join(lines)


def load_countries(codes, iso_path):
    with open(iso_path, encoding="utf-8") as f:
        iso = {c["alpha_3"]: c for c in json.load(f)["3166-1"]}
    countries = []
    for code in codes:
        if code.startswith("X-"):
            continue
        if code in iso:
            entry = iso[code]
            # The common name reads better in a CSV ("South Korea" rather
            # than "Korea, Republic of").
            name = entry.get("common_name", entry["name"])
            countries.append((entry["alpha_2"], code, name))
        elif code in EXTRA_COUNTRIES:
            iso2, name = EXTRA_COUNTRIES[code]
            countries.append((iso2, code, name))
        else:
            sys.exit("gen_vocab: %s is neither in ISO 3166-1 nor in "
                     "EXTRA_COUNTRIES" % code)
    return countries


def emit_countries(countries):
    lines = ["const vocab_country vocab_countries[] = {"]
    for iso2, iso3, name in countries:
        lines.append("    {%s, %s, %s}," % (c_string(iso2), c_string(iso3), c_string(name)))
    lines.append("};")
    lines.append("const size_t vocab_n_countries = sizeof vocab_countries / sizeof vocab_countries[0];")
    return "\n".join(lines)


def emit_regions(codes, country_codes):
    regions = [c for c in codes if c.startswith("X-")]
    for code in REGION_MEMBERS:
        if code not in regions:
            sys.exit("gen_vocab: region %s is not in the vocabulary" % code)
    parts = []
    for code in regions:
        if code not in REGION_MEMBERS:
            continue
        members = REGION_MEMBERS[code].split()
        for m in members:
            if m not in country_codes:
                sys.exit("gen_vocab: %s member %s is not a known country" % (code, m))
        if len(set(members)) != len(members):
            sys.exit("gen_vocab: %s lists a member twice" % code)
        ident = "region_" + code[2:].lower()
        items = [c_string(m) for m in members] + ["NULL"]
        parts.append("static const char *const %s[] = {" % ident)
        for i in range(0, len(items), 10):
            parts.append("    " + ", ".join(items[i:i + 10]) + ",")
        parts.append("};")
    parts.append("")
    parts.append("const vocab_region vocab_regions[] = {")
    for code in regions:
        members = "region_" + code[2:].lower() if code in REGION_MEMBERS else "NULL"
        parts.append("    {%s, %s}," % (c_string(code), members))
    parts.append("};")
    parts.append("const size_t vocab_n_regions = sizeof vocab_regions / sizeof vocab_regions[0];")
    return "\n".join(parts)


def check_count(what, values, expected):
    if len(values) != expected:
        sys.exit("gen_vocab: %s has %d entries, vocab.h expects %d"
                 % (what, len(values), expected))


def generate(vocab, countries, regions_c):
    company = vocab["company"]
    prospect = vocab["prospect"]
    industries = company["industriesV2"]
    slugs = [slugify(n) for n in industries]
    if len(set(slugs)) != len(slugs):
        sys.exit("gen_vocab: two industries share a slug")
    ccols, pcols = export_columns(vocab)
    check_count("industriesV2", industries, 49)
    check_count("stage", company["stage"], 19)
    check_count("prospect tags", prospect["tags"], 15)
    check_count("static groups", prospect["jobTitleStaticGroups"], 3)
    check_count("dynamic groups", prospect["jobTitleDynamicGroups"], 6)
    check_count("employee bounds", company["employeeCountV2Bounds"], 9)
    check_count("company columns", ccols, 70)
    check_count("prospect columns", pcols, 98)

    out = []
    out.append("/* GENERATED FILE: do not edit by hand.")
    out.append(" *")
    out.append(" * Written by tools/gen_vocab.py from fixtures/vocabulary.json (enumerations")
    out.append(" * of the public spec of the Descovo Audiences API) and the ISO 3166-1 table")
    out.append(" * of iso-codes. To regenerate: python3 tools/gen_vocab.py")
    out.append(" * The contract of every table is in vocab.h. */")
    out.append('#include "data/vocab.h"')
    out.append("")
    out.append(string_array("const char *const vocab_industry_names[VOCAB_N_INDUSTRIES]", industries))
    out.append("")
    out.append(string_array("const char *const vocab_industry_slugs[VOCAB_N_INDUSTRIES]", slugs))
    out.append("")
    out.append(string_array("const char *const vocab_stages[VOCAB_N_STAGES]", company["stage"]))
    out.append("")
    out.append(emit_countries(countries))
    out.append("")
    out.append(regions_c)
    out.append("")
    out.append(string_array("const char *const vocab_prospect_tags[VOCAB_N_PROSPECT_TAGS]", prospect["tags"]))
    out.append("")
    out.append(string_array("const char *const vocab_static_groups[VOCAB_N_STATIC_GROUPS]",
                            prospect["jobTitleStaticGroups"]))
    out.append("")
    out.append(string_array("const char *const vocab_dynamic_groups[VOCAB_N_DYNAMIC_GROUPS]",
                            prospect["jobTitleDynamicGroups"]))
    out.append("")
    bounds = ", ".join(str(int(b)) for b in company["employeeCountV2Bounds"])
    out.append("const int vocab_employee_bounds[VOCAB_N_EMPLOYEE_BOUNDS] = {%s};" % bounds)
    out.append("")
    out.append(string_array("const char *const vocab_company_filter_keys[]", company["filterKeys"]))
    out.append("const size_t vocab_n_company_filter_keys =")
    out.append("    sizeof vocab_company_filter_keys / sizeof vocab_company_filter_keys[0];")
    out.append("")
    out.append(string_array("const char *const vocab_prospect_filter_keys[]", prospect["filterKeys"]))
    out.append("const size_t vocab_n_prospect_filter_keys =")
    out.append("    sizeof vocab_prospect_filter_keys / sizeof vocab_prospect_filter_keys[0];")
    out.append("")
    out.append(string_array("const char *const vocab_company_columns[VOCAB_N_COMPANY_COLUMNS]", ccols))
    out.append("")
    out.append(string_array("const char *const vocab_prospect_columns[VOCAB_N_PROSPECT_COLUMNS]", pcols))
    out.append("")
    return "\n".join(out)


def export_columns(vocab):
    """The export columns of companies and prospects, the first renamed."""
    ccols = [ID_COLUMN] + vocab["company"]["exportColumns"][1:]
    pcols = [ID_COLUMN] + vocab["prospect"]["exportColumns"][1:]
    return ccols, pcols


def generate_columns(vocab):
    ccols, pcols = export_columns(vocab)
    out = []
    out.append("/* GENERATED FILE: do not edit by hand.")
    out.append(" *")
    out.append(" * The export columns documented in docs/API.md (\"#export-columns\"): the")
    out.append(" * spec's %d company and %d prospect CSV columns, in its order, the first"
               % (len(ccols), len(pcols)))
    out.append(" * one named descovo_id. Written by tools/gen_vocab.py from")
    out.append(" * fixtures/vocabulary.json, the source of the server's own tables too;")
    out.append(" * the suite compares downloaded headers with these lists. */")
    out.append('#include "columns.h"')
    out.append("")
    out.append(string_array("const char *const conf_company_columns[CONF_N_COMPANY_COLUMNS]", ccols))
    out.append("")
    out.append(string_array("const char *const conf_prospect_columns[CONF_N_PROSPECT_COLUMNS]", pcols))
    out.append("")
    out.append("/* The prospect columns that an enrichment fills (work and personal")
    out.append(" * e-mails, phone numbers: docs/API.md, enrichment), in CSV order. */")
    out.append(string_array("const char *const conf_contact_columns[CONF_N_CONTACT_COLUMNS]", contact_columns(pcols)))
    out.append("")
    return "\n".join(out)


CONTACT_PREFIXES = ("work_email_", "personal_email_", "other_emails", "phone_number_", "other_phone_numbers")


def contact_columns(pcols):
    """The contact columns among the prospect columns (8 in the spec)."""
    cols = [c for c in pcols if c.startswith(CONTACT_PREFIXES)]
    check_count("contact columns", cols, 8)
    return cols


def differs(path, text):
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read() != text
    except FileNotFoundError:
        return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vocabulary", nargs="?", default=DEFAULT_VOCAB)
    ap.add_argument("--iso", default=DEFAULT_ISO)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--columns-out", default=DEFAULT_COLUMNS_OUT)
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 when a generated file differs")
    args = ap.parse_args()

    with open(args.vocabulary, encoding="utf-8") as f:
        vocab = json.load(f)
    codes = vocab["company"]["countryCodes"]
    if vocab["prospect"]["countryCodes"] != codes:
        sys.exit("gen_vocab: company and prospect country codes differ")
    countries = load_countries(codes, args.iso)
    regions_c = emit_regions(codes, {c[1] for c in countries})
    outputs = [(args.out, generate(vocab, countries, regions_c)),
               (args.columns_out, generate_columns(vocab))]
    if args.check:
        stale = [path for path, text in outputs if differs(path, text)]
        for path in stale:
            print("gen_vocab: %s differs from what %s generates; run python3 tools/gen_vocab.py"
                  % (os.path.relpath(path), os.path.relpath(args.vocabulary)), file=sys.stderr)
        if stale:
            sys.exit(1)
        print("gen_vocab: %s up to date" % ", ".join(os.path.relpath(p) for p, _ in outputs))
        return
    for path, text in outputs:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("gen_vocab: wrote %s (%d countries) and %s" % (args.out, len(countries), args.columns_out))


if __name__ == "__main__":
    main()
