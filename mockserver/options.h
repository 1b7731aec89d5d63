/* options: the command line of descovo-mock. */
#ifndef DESCOVO_OPTIONS_H
#define DESCOVO_OPTIONS_H

#include <stdio.h>

#include "app.h"

typedef enum options_result {
    OPTIONS_RUN = 0,     /* start the server */
    OPTIONS_EXIT = 1,    /* --help or --version was printed: exit 0 */
    OPTIONS_ERROR = -1   /* message in err: print it and exit 2 */
} options_result;

/* Parses argv into *options (which starts from mock_options_default).
 * Strings in *options point into argv (or the environment: the admin token
 * from DESCOVO_ADMIN_TOKEN). --help and --version print to out. */
options_result options_parse(int argc, char **argv, mock_options *options,
                             FILE *out, char *err, size_t errlen);

#endif
