/* The descovo CLI, spawned against an in-process descovo-mock: the refusal
 * to spend without a terminal, the y/N question and the progress bar on a
 * pseudo-terminal, `descovo run` producing both CSVs, --help and the usage
 * exit code. The CLI runs with --mock-clock, so its waits advance the
 * mock's manual clock instead of sleeping. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "support.h"

extern char **environ;

typedef struct state {
    test_mock *mock;
    char dir[64];             /* scratch directory */
} state;

typedef struct run_result {
    int exit_code;
    char *out;
    char *err;
} run_result;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = calloc(1, (size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return buf;
}

/* The command line: the CLI, the common flags, then args (NULL-terminated,
 * cut to fit 32 entries). */
static void cli_argv(const state *s, const char *argv[32], const char *const *args)
{
    const char *common[] = {DESCOVO_CLI_BINARY, "--base-url", s->mock->base_url, "--api-key", DEV_KEY, "--mock-clock"};
    int n = 0;
    for (; n < 6; n++)
        argv[n] = common[n];
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
}

/* Runs the CLI with args (NULL-terminated) after the common flags, stdin
 * from /dev/null, stdout and stderr captured. */
static void run_cli(state *s, run_result *r, const char *const *args)
{
    char out_path[128];
    char err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", s->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", s->dir);
    const char *argv[32];
    cli_argv(s, argv, args);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, DESCOVO_CLI_BINARY, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    r->exit_code = WEXITSTATUS(status);
    r->out = slurp(out_path);
    r->err = slurp(err_path);
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the CLI as run_cli does, but with stdin and stderr on a
 * pseudo-terminal: the CLI sees a user. When it asks "[y/N]", `answer` is
 * typed. r->err is everything the terminal showed (the echo of the answer
 * included). Bounded: the CLI is killed after 60 s. */
static void run_cli_on_terminal(state *s, run_result *r, const char *const *args, const char *answer)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    assert_int_equal(fcntl(master, F_SETFD, FD_CLOEXEC), 0);
    const char *terminal = ptsname(master);
    assert_non_null(terminal);
    char out_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", s->dir);
    const char *argv[32];
    cli_argv(s, argv, args);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, terminal, O_RDWR, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, terminal, O_RDWR, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, DESCOVO_CLI_BINARY, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);

    size_t cap = 1 << 20;
    size_t len = 0;
    char *shown = calloc(1, cap);
    assert_non_null(shown);
    int answered = 0;
    int status = 0;
    pid_t exited = 0;
    double deadline = seconds_now() + 60;
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        int ready = poll(&p, 1, 100);
        int closed = 0;
        if (ready > 0) {
            ssize_t got = read(master, shown + len, cap - 1 - len);
            if (got > 0)
                len += (size_t)got;
            else
                closed = 1; /* EIO: every holder of the terminal is gone */
        }
        if (!answered && strstr(shown, "[y/N] ") != NULL) {
            assert_int_equal(write(master, answer, strlen(answer)), (ssize_t)strlen(answer));
            answered = 1;
        }
        if (exited == 0)
            exited = waitpid(pid, &status, WNOHANG);
        if (exited == pid && (closed || ready == 0))
            break;
        if (seconds_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the CLI did not finish within 60 s; the terminal showed:\n%s", shown);
        }
    }
    close(master);
    assert_true(WIFEXITED(status));
    r->exit_code = WEXITSTATUS(status);
    r->out = slurp(out_path);
    r->err = shown;
}

static void run_result_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static int group_setup(void **st)
{
    state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->mock = test_mock_start(NULL);
    snprintf(s->dir, sizeof s->dir, "/tmp/descovo-cli-test-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    *st = s;
    return 0;
}

static int group_teardown(void **st)
{
    state *s = *st;
    char path[128];
    const char *files[] = {"stdout", "stderr"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, files[i]);
        unlink(path);
    }
    rmdir(s->dir);
    test_mock_stop(s->mock);
    free(s);
    return 0;
}

static int setup(void **st)
{
    state *s = *st;
    test_mock_reset(s->mock);
    return 0;
}

static long long credits_of(state *s)
{
    descovo_client *c = test_client_new(s->mock->base_url, DEV_KEY, NULL);
    long long credits = -1;
    assert_int_equal(descovo_credits(c, &credits), 0);
    descovo_client_free(c);
    return credits;
}

/* How many requests the mock's journal holds for method and path (a glob). */
static long journal_count(state *s, const char *method, const char *path)
{
    char query[256];
    snprintf(query, sizeof query, "/_mock/requests?method=%s&path=%s", method, path);
    json_t *answer = descovo_request(s->mock->control, "GET", query, NULL);
    assert_non_null(answer);
    long n = (long)json_integer_value(json_object_get(json_object_get(answer, "output"), "count"));
    json_decref(answer);
    return n;
}

static void test_refuses_without_terminal(void **st)
{
    state *s = *st;
    /* A built audience, through the CLI's own steps. */
    run_result r;
    run_cli(s, &r, (const char *const[]){"create", "no terminal", NULL});
    assert_int_equal(r.exit_code, 0);
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_result_free(&r);
    char filters[128];
    snprintf(filters, sizeof filters, "%s/filters.json", s->dir);
    FILE *f = fopen(filters, "w");
    assert_non_null(f);
    fputs("{\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":10,\"maxProspects\":20}", f);
    fclose(f);
    run_cli(s, &r, (const char *const[]){"set-filters", id, filters, NULL});
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    unlink(filters);
    run_cli(s, &r, (const char *const[]){"build", id, "--wait", "--interval", "1", NULL});
    if (r.exit_code != 0)
        fail_msg("build: %s", r.err);
    assert_non_null(strstr(r.out, "NORMAL"));
    run_result_free(&r);

    long long before = credits_of(s);
    run_cli(s, &r, (const char *const[]){"enrich", id, "--prospects", "10", NULL});
    assert_int_equal(r.exit_code, 14);
    assert_non_null(strstr(r.err, "stdin is not a terminal"));
    assert_non_null(strstr(r.err, "--yes"));
    assert_non_null(strstr(r.err, "Nothing was spent"));
    run_result_free(&r);
    assert_int_equal(credits_of(s), before);

    /* --max-credits below the estimate refuses even with --yes. */
    run_cli(s, &r, (const char *const[]){"enrich", id, "--prospects", "10", "--yes", "--max-credits", "1", NULL});
    assert_int_equal(r.exit_code, 15);
    assert_non_null(strstr(r.err, "--max-credits"));
    run_result_free(&r);
    assert_int_equal(credits_of(s), before);

    run_cli(s, &r, (const char *const[]){"enrich", id, "--prospects", "10", "--yes", "--json", NULL});
    assert_int_equal(r.exit_code, 0);
    json_t *out = json_loads(r.out, 0, NULL);
    assert_non_null(out);
    long long charged = json_integer_value(json_object_get(out, "estimatedCredits"));
    assert_true(charged > 0);
    json_decref(out);
    run_result_free(&r);
    assert_int_equal(credits_of(s), before - charged);
}

/* Counts CSV records (newlines outside quotes) and checks the header. */
static long csv_records(const char *path, const char *first_column)
{
    char *text = slurp(path);
    long n = 0;
    int quoted = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '\n' && !quoted)
            n++;
    }
    assert_true(strncmp(text, first_column, strlen(first_column)) == 0);
    free(text);
    return n;
}

/* Removes a directory of plain files. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    for (;;) {
        struct dirent *e = readdir(d);
        if (e == NULL)
            break;
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* On a terminal the CLI asks before it spends, spends nothing on "n", and
 * draws its waits as a bar redrawn in place. */
static void test_asks_on_a_terminal(void **st)
{
    state *s = *st;
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/out", s->dir);
    const char *const job[] = {"run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--out", out_dir, NULL};
    long long before = credits_of(s);
    run_result r;
    run_cli_on_terminal(s, &r, job, "n\n");
    if (r.exit_code != 14)
        fail_msg("exit %d; the terminal showed:\n%s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "Spend "));
    assert_non_null(strstr(r.err, "credits on this enrichment? [y/N] "));
    assert_non_null(strstr(r.err, "not confirmed. Nothing was spent."));
    /* The build's wait, redrawn in place: carriage returns, not lines. */
    assert_non_null(strstr(r.err, "\rbuild "));
    run_result_free(&r);
    /* The build was charged, the enrichment not. */
    long long after_no = credits_of(s);
    long long build_cost = before - after_no;

    /* The same run, resumed: no second build, and this time the enrichment. */
    const char *const resume[] = {"run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--out", out_dir,
                                  "--resume", NULL};
    run_cli_on_terminal(s, &r, resume, "y\n");
    if (r.exit_code != 0)
        fail_msg("exit %d; the terminal showed:\n%s", r.exit_code, r.err);
    /* The enrichment's bar ends full. */
    assert_non_null(strstr(r.err, "[##############################] 100%"));
    run_result_free(&r);
    assert_true(build_cost > 0);
    assert_true(after_no - credits_of(s) > 0);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/build"), 1);
    remove_dir(out_dir);
}

static void test_run_job(void **st)
{
    state *s = *st;
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/out", s->dir);
    run_result r;
    run_cli(s, &r, (const char *const[]){"run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--yes",
                                          "--out", out_dir, "--json", NULL});
    if (r.exit_code != 0)
        fail_msg("run: exit %d: %s", r.exit_code, r.err);
    json_t *summary = json_loads(r.out, 0, NULL);
    assert_non_null(summary);
    assert_true(json_integer_value(json_object_get(summary, "companiesCount")) > 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(summary, "enrichment"), "stage")), "DONE");
    const char *kinds[] = {"companies", "prospects"};
    for (int k = 0; k < 2; k++) {
        const json_t *x = json_object_get(json_object_get(summary, "exports"), kinds[k]);
        const char *file = json_string_value(json_object_get(x, "file"));
        assert_non_null(file);
        long rows = (long)json_integer_value(json_object_get(x, "rows"));
        assert_true(rows > 0);
        assert_int_equal(csv_records(file, "descovo_id,"), rows + 1);
        unlink(file);
    }
    json_decref(summary);
    /* Progress went to stderr as plain lines (not a terminal). */
    assert_non_null(strstr(r.err, "[9/9]"));
    assert_non_null(strstr(r.err, "build: NORMAL"));
    run_result_free(&r);

    /* Every example job parses (stopping before it spends: no --yes). */
    const char *examples[] = {"ai-leaders-us.json", "fintech-dach-no-enrichment.json",
                              "from-prospects-engineers.json"};
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/jobs/%s", DESCOVO_FIXTURES_DIR, examples[i]);
        run_cli(s, &r, (const char *const[]){"run", path, "--out", out_dir, NULL});
        if (r.exit_code != 0 && r.exit_code != 14)
            fail_msg("%s: exit %d: %s", examples[i], r.exit_code, r.err);
        run_result_free(&r);
    }
    remove_dir(out_dir);
}

static void test_help_and_usage(void **st)
{
    state *s = *st;
    run_result r;
    run_cli(s, &r, (const char *const[]){"--help", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "export-prospects"));
    assert_non_null(strstr(r.out, "descovo help exit-codes"));
    run_result_free(&r);
    const char *commands[] = {"create", "set-filters", "build", "status", "estimate", "enrich",
                              "enrichment-status", "export-companies", "export-prospects", "credits",
                              "list", "archive", "run"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        run_cli(s, &r, (const char *const[]){commands[i], "--help", NULL});
        assert_int_equal(r.exit_code, 0);
        assert_non_null(strstr(r.out, commands[i]));
        run_result_free(&r);
    }
    run_cli(s, &r, (const char *const[]){"status", NULL});
    assert_int_equal(r.exit_code, 2);
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"credits", "--yes", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "does not take --yes"));
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"status", "aud_missing", NULL});
    assert_int_equal(r.exit_code, 4);
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"credits", "--json", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "\"credits\": 50000"));
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_refuses_without_terminal, setup),
        cmocka_unit_test_setup(test_run_job, setup),
        cmocka_unit_test_setup(test_asks_on_a_terminal, setup),
        cmocka_unit_test_setup(test_help_and_usage, setup),
    };
    return cmocka_run_group_tests_name("client_cli", tests, group_setup, group_teardown);
}
