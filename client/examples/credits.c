/* A program built outside the tree against an installed libdescovo:
 *     cc credits.c $(pkg-config --cflags --libs descovo) -o credits
 *     DESCOVO_BASE_URL=http://127.0.0.1:8080 DESCOVO_API_KEY=sk_test_descovo_dev ./credits
 * Prints the balance and the library's version; exits 1 with the error. */
#include <stdio.h>
#include <stdlib.h>

#include <descovo.h>

int main(void)
{
    const char *key = getenv("DESCOVO_API_KEY");
    if (key == NULL) {
        fprintf(stderr, "credits: set DESCOVO_API_KEY\n");
        return 2;
    }
    if (descovo_global_init() != 0)
        return 1;
    descovo_options options;
    descovo_options_init(&options);
    options.api_key = key;
    options.base_url = getenv("DESCOVO_BASE_URL"); /* NULL: the real API */
    descovo_client *client = descovo_client_new(&options);
    int rc = 1;
    long long credits = 0;
    if (client == NULL) {
        fprintf(stderr, "credits: out of memory\n");
    } else if (descovo_credits(client, &credits) != 0) {
        const descovo_error *err = descovo_last_error(client);
        fprintf(stderr, "credits: %s: %s\n", descovo_error_class_name(err->cls), err->message);
    } else {
        printf("credits: %lld\n", credits);
        rc = 0;
    }
    descovo_client_free(client);
    descovo_global_cleanup();
    return rc;
}
