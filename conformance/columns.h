/* columns: the documented export columns (docs/API.md, "#export-columns"). */
#ifndef CONF_COLUMNS_H
#define CONF_COLUMNS_H

#define CONF_N_COMPANY_COLUMNS 70
#define CONF_N_PROSPECT_COLUMNS 98

extern const char *const conf_company_columns[CONF_N_COMPANY_COLUMNS];
extern const char *const conf_prospect_columns[CONF_N_PROSPECT_COLUMNS];

/* The prospect columns that hold contact details, revealed only by an
 * enrichment: work_email_1, work_email_2, personal_email_1,
 * personal_email_2, other_emails, phone_number_1, phone_number_2,
 * other_phone_numbers. */
#define CONF_N_CONTACT_COLUMNS 8
extern const char *const conf_contact_columns[CONF_N_CONTACT_COLUMNS];

#endif
