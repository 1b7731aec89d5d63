/* columns: the documented export columns (docs/API.md, "#export-columns"). */
#ifndef CONF_COLUMNS_H
#define CONF_COLUMNS_H

#define CONF_N_COMPANY_COLUMNS 70
#define CONF_N_PROSPECT_COLUMNS 98

extern const char *const conf_company_columns[CONF_N_COMPANY_COLUMNS];
extern const char *const conf_prospect_columns[CONF_N_PROSPECT_COLUMNS];

#endif
