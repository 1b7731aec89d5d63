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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

/* Runs argv as given (no common flags), stdin from /dev/null. */
static void run_raw(state *s, run_result *r, const char *const *argv)
{
    char out_path[128];
    char err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", s->dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", s->dir);
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
/* Called while the CLI runs on the terminal with what it showed so far;
 * may act (resize, interrupt). */
typedef void (*terminal_hook)(void *ctx, pid_t pid, int master, const char *shown);

static void run_on_terminal(state *s, run_result *r, const char *const *args, const char *answer,
                            int columns, terminal_hook hook, void *ctx);

static void run_cli_on_terminal(state *s, run_result *r, const char *const *args, const char *answer)
{
    run_on_terminal(s, r, args, answer, 0, NULL, NULL);
}

static void run_on_terminal(state *s, run_result *r, const char *const *args, const char *answer,
                            int columns, terminal_hook hook, void *ctx)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    assert_int_equal(fcntl(master, F_SETFD, FD_CLOEXEC), 0);
    const char *terminal = ptsname(master);
    assert_non_null(terminal);
    if (columns > 0) {
        struct winsize ws = {.ws_row = 24, .ws_col = (unsigned short)columns};
        assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0);
    }
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
        /* Once the CLI has exited, read on until the terminal is drained:
         * a poll that started before the exit was seen proves nothing. */
        int drained_after_exit = exited == pid;
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
        if (hook != NULL && exited == 0)
            hook(ctx, pid, master, shown);
        if (!answered && answer != NULL && strstr(shown, "[y/N] ") != NULL) {
            assert_int_equal(write(master, answer, strlen(answer)), (ssize_t)strlen(answer));
            answered = 1;
        }
        if (exited == 0)
            exited = waitpid(pid, &status, WNOHANG);
        if (drained_after_exit && (closed || ready == 0))
            break;
        if (seconds_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("the CLI did not finish within 60 s; the terminal showed:\n%s", shown);
        }
    }
    close(master);
    if (WIFSIGNALED(status))
        fail_msg("the CLI died of signal %d; the terminal showed:\n%s", WTERMSIG(status), shown);
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


static void add_fault(state *s, const char *json)
{
    json_t *body = json_loads(json, 0, NULL);
    assert_non_null(body);
    json_t *answer = descovo_request(s->mock->control, "POST", "/_mock/faults", body);
    if (answer == NULL)
        fail_msg("POST /_mock/faults: %s", descovo_last_error(s->mock->control)->message);
    json_decref(answer);
    json_decref(body);
}

static void clear_faults(state *s)
{
    json_t *answer = descovo_request(s->mock->control, "DELETE", "/_mock/faults", NULL);
    assert_non_null(answer);
    json_decref(answer);
}

/* A built audience, through the library; its id into id. */
static void built_audience(state *s, char id[DESCOVO_ID_MAX])
{
    test_clock clock = {.mock = s->mock};
    descovo_client *c = test_client_new(s->mock->base_url, DEV_KEY, &clock);
    descovo_audience aud;
    json_t *f = json_pack("{s:[s]}", "headquartersCountryCode", "US");
    assert_int_equal(descovo_create(c, "cli test", NULL, &aud), 0);
    assert_int_equal(descovo_set_search_params(c, aud.id, f, NULL, 12, 30), 0);
    assert_int_equal(descovo_build(c, aud.id, NULL), 0);
    assert_int_equal(descovo_wait_build(c, aud.id, NULL, &aud), 0);
    snprintf(id, DESCOVO_ID_MAX, "%s", aud.id);
    json_decref(f);
    descovo_client_free(c);
}

static void configure_real_clock(mock_options *o)
{
    o->clock_mode = MOCK_CLOCK_REAL;
}

static void remove_csvs(const char *dir);

/* --mock-clock against a server that is not a mock, and against a mock
 * with a real clock: refused at once, exit 2, nothing sent but the check. */
static void test_mock_clock_refused(void **st)
{
    state *s = *st;
    static const fake_action not_found[] = {{"404 Not Found", "Content-Type: application/json\r\n",
                                             "{\"error\":{\"code\":404,\"message\":\"Not found\"}}"}};
    fake_server fake;
    fake_server_start(&fake, not_found, 1);
    run_result r;
    run_raw(s, &r, (const char *const[]){DESCOVO_CLI_BINARY, "--base-url", fake.base_url, "--api-key", DEV_KEY,
                                         "status", "aud_x", "--wait", "--mock-clock", NULL});
    fake_server_stop(&fake);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "not a descovo-mock"));
    assert_non_null(strstr(r.err, "nothing else was sent"));
    assert_int_equal(fake.connections, 1);
    run_result_free(&r);

    test_mock *real = test_mock_start(configure_real_clock);
    run_raw(s, &r, (const char *const[]){DESCOVO_CLI_BINARY, "--base-url", real->base_url, "--api-key", DEV_KEY,
                                         "run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--yes",
                                         "--mock-clock", "--out", s->dir, NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--clock manual"));
    run_result_free(&r);
    /* The journal records a request once its answer is out: wait for the
     * CLI's, leaving out this test's own GET /_mock/requests. */
    json_t *journal = NULL;
    size_t others = 0;
    const char *only = NULL;
    for (int i = 0; i < 100 && others == 0; i++) {
        json_decref(journal);
        journal = descovo_request(real->control, "GET", "/_mock/requests", NULL);
        assert_non_null(journal);
        size_t k;
        const json_t *e;
        json_array_foreach(json_object_get(json_object_get(journal, "output"), "entries"), k, e) {
            const char *path = json_string_value(json_object_get(e, "path"));
            if (path != NULL && strcmp(path, "/_mock/requests") != 0) {
                others++;
                only = path;
            }
        }
        struct timespec pause = {.tv_nsec = 20 * 1000000L};
        if (others == 0)
            nanosleep(&pause, NULL);
    }
    assert_int_equal(others, 1);
    assert_string_equal(only, "/_mock/health");
    json_decref(journal);
    test_mock_stop(real);
    /* Nothing was started, so a new run needs no --resume. */
    run_cli(s, &r, (const char *const[]){"run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--yes",
                                         "--out", s->dir, NULL});
    if (r.exit_code != 0)
        fail_msg("run after a refusal: exit %d: %s", r.exit_code, r.err);
    run_result_free(&r);
    char path[256];
    const char *left[] = {"ai-leaders-us.run-state.json", NULL};
    for (size_t i = 0; left[i] != NULL; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, left[i]);
        unlink(path);
    }
    remove_csvs(s->dir);

    /* Polls never faster than the documented floor. */
    run_cli(s, &r, (const char *const[]){"status", "aud_x", "--wait", "--interval", "0", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--interval: at least 1"));
    run_result_free(&r);
}

/* Removes the CSV files a run left in dir. */
static void remove_csvs(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (;;) {
        struct dirent *e = readdir(d);
        if (e == NULL)
            break;
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

/* A bad --out fails before the export is asked for: no quota spent. */
static void test_export_checks_output_first(void **st)
{
    state *s = *st;
    char id[DESCOVO_ID_MAX];
    built_audience(s, id);
    run_result r;
    run_cli(s, &r, (const char *const[]){"export-companies", id, "--out", "/proc/nope", NULL});
    assert_int_equal(r.exit_code, 16);
    run_result_free(&r);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/export/companies"), 0);
    /* A trailing slash gives no double slash. */
    char out[256];
    snprintf(out, sizeof out, "%s/", s->dir);
    run_cli(s, &r, (const char *const[]){"export-companies", id, "--out", out, "--max-rows", "3", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_null(strstr(r.out, "//"));
    char path[256];
    snprintf(path, sizeof path, "%s/%s-companies.csv", s->dir, id);
    assert_int_equal(csv_records(path, "descovo_id,"), 4);
    unlink(path);
    run_result_free(&r);
}

typedef struct interrupt_ctx {
    test_mock *mock;          /* interrupt once its first fault rule held a request */
    int sent;
} interrupt_ctx;

/* Whether the first fault rule has seen a request: the CLI is inside it. */
static int fault_seen(test_mock *m)
{
    json_t *answer = descovo_request(m->control, "GET", "/_mock/faults", NULL);
    assert_non_null(answer);
    const json_t *rule = json_array_get(json_object_get(json_object_get(answer, "output"), "faults"), 0);
    int seen = json_integer_value(json_object_get(rule, "seen")) > 0;
    json_decref(answer);
    return seen;
}

static void interrupt_when_held(void *ctx, pid_t pid, int master, const char *shown)
{
    interrupt_ctx *c = ctx;
    (void)master;
    (void)shown;
    if (!c->sent && fault_seen(c->mock)) {
        kill(pid, SIGINT);
        c->sent = 1;
    }
}

/* Ctrl-C while waiting for the enrichment says what was spent and how to
 * resume; --resume finishes without a second enrich (the journal says so). */
static void test_interrupt_and_resume(void **st)
{
    state *s = *st;
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/resume", s->dir);
    const char *job = DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json";
    /* The first enrichment-status poll hangs for 30 s: the CLI is waiting. */
    add_fault(s, "{\"match\":{\"method\":\"GET\",\"path\":\"/v1/audiences/*/enrichment/status\"},"
                 "\"times\":1,\"action\":{\"type\":\"latency\",\"ms\":30000}}");
    interrupt_ctx ic = {.mock = s->mock};
    run_result r;
    run_on_terminal(s, &r, (const char *const[]){"run", job, "--yes", "--out", out_dir, NULL}, NULL, 0,
                    interrupt_when_held, &ic);
    if (r.exit_code != 130)
        fail_msg("exit %d; the terminal showed:\n%s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "interrupted"));
    assert_non_null(strstr(r.err, "Audience aud_"));
    assert_non_null(strstr(r.err, "enrichment enr_"));
    assert_non_null(strstr(r.err, "credits spent"));
    assert_non_null(strstr(r.err, "--resume"));
    run_result_free(&r);
    clear_faults(s);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/enrich"), 1);

    /* Without --resume the run refuses to start over. */
    run_cli(s, &r, (const char *const[]){"run", job, "--yes", "--out", out_dir, NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "--resume"));
    run_result_free(&r);

    run_cli(s, &r, (const char *const[]){"run", job, "--yes", "--out", out_dir, "--resume", "--json", NULL});
    if (r.exit_code != 0)
        fail_msg("resume: exit %d: %s", r.exit_code, r.err);
    json_t *summary = json_loads(r.out, 0, NULL);
    assert_non_null(summary);
    assert_string_equal(json_string_value(json_object_get(json_object_get(summary, "enrichment"), "stage")), "DONE");
    json_decref(summary);
    run_result_free(&r);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/enrich"), 1);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/build"), 1);
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/create"), 1);

    /* An interrupt while the enrich request itself is out (answered late but
     * processed): --resume finds the enrichment instead of sending another. */
    remove_dir(out_dir);
    add_fault(s, "{\"match\":{\"method\":\"POST\",\"path\":\"/v1/audiences/*/enrich\"},"
                 "\"times\":1,\"action\":{\"type\":\"latency\",\"ms\":30000}}");
    interrupt_ctx ic2 = {.mock = s->mock};
    run_on_terminal(s, &r, (const char *const[]){"run", job, "--yes", "--out", out_dir, NULL}, NULL, 0,
                    interrupt_when_held, &ic2);
    assert_int_equal(r.exit_code, 130);
    assert_non_null(strstr(r.err, "may have been started"));
    run_result_free(&r);
    clear_faults(s);
    long enriches = journal_count(s, "POST", "/v1/audiences/*/enrich");
    run_cli(s, &r, (const char *const[]){"run", job, "--yes", "--out", out_dir, "--resume", NULL});
    if (r.exit_code != 0)
        fail_msg("resume: exit %d: %s", r.exit_code, r.err);
    assert_non_null(strstr(r.err, "already started"));
    run_result_free(&r);
    /* The held enrich (processed, journaled when its answer goes out) was
     * found by the resume, which sent none. */
    assert_int_equal(journal_count(s, "POST", "/v1/audiences/*/enrich"), enriches);
    remove_dir(out_dir);
}

/* --verbose (and DESCOVO_DEBUG=1) log each request without the key; on a
 * terminal a retry is announced; --timeout bounds a silent server. */
static void test_transparency(void **st)
{
    state *s = *st;
    run_result r;
    run_cli(s, &r, (const char *const[]){"credits", "--verbose", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "GET /v1/credits -> 200"));
    assert_null(strstr(r.err, DEV_KEY));
    run_result_free(&r);
    setenv("DESCOVO_DEBUG", "1", 1);
    run_cli(s, &r, (const char *const[]){"list", NULL});
    unsetenv("DESCOVO_DEBUG");
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "GET /v1/audiences -> 200"));
    run_result_free(&r);

    add_fault(s, "{\"match\":{\"path\":\"/v1/credits\"},\"times\":1,"
                 "\"action\":{\"type\":\"status\",\"status\":503,\"retryAfter\":5}}");
    run_on_terminal(s, &r, (const char *const[]){"credits", NULL}, NULL, 0, NULL, NULL);
    assert_int_equal(r.exit_code, 0);
    if (strstr(r.err, "503 on GET /v1/credits: retrying in 5 s (attempt 2 of 5)") == NULL)
        fail_msg("no retry announced; the terminal showed:\n%s", r.err);
    run_result_free(&r);
    clear_faults(s);

    /* A server that accepts and never answers: --timeout 1, --retries 0. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t alen = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
    assert_int_equal(listen(fd, 4), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(addr.sin_port));
    double t0 = seconds_now();
    run_raw(s, &r, (const char *const[]){DESCOVO_CLI_BINARY, "--base-url", url, "--api-key", DEV_KEY, "credits",
                                         "--timeout", "1", "--retries", "0", NULL});
    double took = seconds_now() - t0;
    close(fd);
    assert_int_equal(r.exit_code, 11);
    assert_true(took < 10);
    run_result_free(&r);
    setenv("DESCOVO_TIMEOUT", "nope", 1);
    run_cli(s, &r, (const char *const[]){"credits", NULL});
    unsetenv("DESCOVO_TIMEOUT");
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "DESCOVO_TIMEOUT"));
    run_result_free(&r);
}

/* An error of run --json names the audience and the command that resumes. */
static void test_run_json_error(void **st)
{
    state *s = *st;
    char out_dir[128];
    snprintf(out_dir, sizeof out_dir, "%s/json-error", s->dir);
    add_fault(s, "{\"match\":{\"path\":\"/v1/audiences/*/build\"},\"times\":1,"
                 "\"action\":{\"type\":\"fail-build\"}}");
    run_result r;
    run_cli(s, &r, (const char *const[]){"run", DESCOVO_FIXTURES_DIR "/jobs/ai-leaders-us.json", "--yes", "--json",
                                          "--out", out_dir, NULL});
    assert_int_equal(r.exit_code, 12);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    const json_t *e = json_object_get(j, "error");
    const char *id = json_string_value(json_object_get(e, "audienceId"));
    assert_non_null(id);
    assert_true(strncmp(id, "aud_", 4) == 0);
    assert_non_null(strstr(json_string_value(json_object_get(e, "resume")), "--resume"));
    json_decref(j);
    run_result_free(&r);
    clear_faults(s);
    remove_dir(out_dir);
}

/* Filter files are checked like job files; the answer's warnings show. */
static void test_filters_and_warnings(void **st)
{
    state *s = *st;
    run_result r;
    run_cli(s, &r, (const char *const[]){"create", "warnings", NULL});
    assert_int_equal(r.exit_code, 0);
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_result_free(&r);
    char filters[128];
    snprintf(filters, sizeof filters, "%s/filters.json", s->dir);
    FILE *f = fopen(filters, "w");
    assert_non_null(f);
    fputs("{\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompany\":10}", f);
    fclose(f);
    run_cli(s, &r, (const char *const[]){"set-filters", id, filters, NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "did you mean \"maxCompanies\""));
    run_result_free(&r);
    assert_int_equal(journal_count(s, "PATCH", "/v1/audiences/*/search-params"), 0);
    f = fopen(filters, "w");
    assert_non_null(f);
    fputs("{\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"],\"revenueUSD\":{\"min\":1}}}", f);
    fclose(f);
    run_cli(s, &r, (const char *const[]){"set-filters", id, filters, NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.err, "warning: companySearchParams.revenueUSD"));
    run_result_free(&r);
    unlink(filters);
}

/* Help, typos, and the text tables. */
static void test_help_and_tables(void **st)
{
    state *s = *st;
    run_result r;
    run_cli(s, &r, (const char *const[]){"biuld", "x", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "did you mean \"build\""));
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"credits", "--verbsoe", NULL});
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "did you mean --verbose"));
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"help", "exit-codes", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "16 local file error"));
    run_result_free(&r);
    /* Every summary of the command list is a whole sentence. */
    run_cli(s, &r, (const char *const[]){"--help", NULL});
    const char *list = strstr(r.out, "Commands:\n");
    assert_non_null(list);
    for (const char *line = list + 10; *line == ' '; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        assert_true(end[-1] == '.');
    }
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"export-prospects", "--help", NULL});
    assert_non_null(strstr(r.out, "--only-with-contacts   only prospects with a revealed"));
    assert_non_null(strstr(r.out, "--max-rows N           export at most N rows"));
    assert_null(strstr(r.out, " 9 rate limited"));
    run_result_free(&r);

    char id[DESCOVO_ID_MAX];
    built_audience(s, id);
    run_cli(s, &r, (const char *const[]){"list", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_true(strncmp(r.out, "AUDIENCE ID", 11) == 0);
    assert_non_null(strstr(r.out, "1 audience (archived ones not listed)"));
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"companies", id, "--page-size", "5", "--all", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_true(strncmp(r.out, "COMPANY ID", 10) == 0);
    assert_non_null(strstr(r.out, "12 of 12 companies"));
    run_result_free(&r);
    run_cli(s, &r, (const char *const[]){"prospects", id, "--page-size", "5", NULL});
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "PROSPECT ID"));
    assert_non_null(strstr(r.out, "next page: --cursor"));
    run_result_free(&r);
}

typedef struct resize_ctx {
    test_mock *mock;
    size_t mark;              /* where the output after the resize starts */
    int stage;
} resize_ctx;

static void resize_then_release(void *ctx, pid_t pid, int master, const char *shown)
{
    resize_ctx *c = ctx;
    if (c->stage == 0 && strstr(shown, "BUILDING") != NULL) {
        struct winsize ws = {.ws_row = 24, .ws_col = 30};
        assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0);
        kill(pid, SIGWINCH);   /* what the terminal sends its foreground process */
        c->mark = strlen(shown);
        c->stage = 1;
    } else if (c->stage == 1 && strlen(shown) > c->mark + 400) {
        json_t *answer = descovo_request(c->mock->control, "DELETE", "/_mock/faults", NULL);
        json_decref(answer);
        c->stage = 2;
    }
}

/* The longest visible line between carriage returns and newlines. */
static size_t widest_redraw(const char *text)
{
    size_t widest = 0;
    size_t len = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n') {
            if (len > widest)
                widest = len;
            len = 0;
        } else if (*p == '\033') {
            while (*p != '\0' && *p != 'K')
                p++;
            if (*p == '\0')
                break;
        } else {
            len++;
        }
    }
    return len > widest ? len : widest;
}

/* Interrupts once the wait's bar is on screen. */
static void interrupt_when_waiting(void *ctx, pid_t pid, int master, const char *shown)
{
    int *sent = ctx;
    (void)master;
    if (!*sent && strstr(shown, "\rbuild") != NULL) {
        kill(pid, SIGINT);
        *sent = 1;
    }
}

/* The bar fits 50 columns, and 30 after a resize; Ctrl-C while it waits. */
static void test_bar_fits_the_terminal(void **st)
{
    state *s = *st;
    run_result r;
    run_cli(s, &r, (const char *const[]){"create", "resize", NULL});
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_result_free(&r);
    char filters[128];
    snprintf(filters, sizeof filters, "%s/f.json", s->dir);
    FILE *f = fopen(filters, "w");
    assert_non_null(f);
    fputs("{\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":5}", f);
    fclose(f);
    run_cli(s, &r, (const char *const[]){"set-filters", id, filters, NULL});
    assert_int_equal(r.exit_code, 0);
    run_result_free(&r);
    unlink(filters);
    add_fault(s, "{\"match\":{\"path\":\"/v1/audiences/*/build\"},\"action\":{\"type\":\"hold\",\"status\":\"BUILDING\"}}");
    resize_ctx rc = {.mock = s->mock};
    run_on_terminal(s, &r, (const char *const[]){"build", id, "--wait", "--wait-timeout", "100000", NULL}, NULL, 50,
                    resize_then_release, &rc);
    if (r.exit_code != 0)
        fail_msg("exit %d; the terminal showed:\n%s", r.exit_code, r.err);
    assert_int_equal(rc.stage, 2);
    char *before = strndup(r.err, rc.mark);
    assert_true(widest_redraw(before) <= 49);
    free(before);
    /* The first redraw after the resize may still be the old width. */
    const char *after = strchr(r.err + rc.mark + 1, '\r');
    assert_non_null(after);
    after = strchr(after + 1, '\r');
    assert_non_null(after);
    char *tail = strdup(after);
    /* The final audience table goes to stdout; stderr holds only redraws. */
    if (widest_redraw(tail) > 29)
        fail_msg("a redraw is wider than 29 columns after the resize:\n%s", tail);
    free(tail);
    run_result_free(&r);

    /* Ctrl-C during build --wait: what was started, and how to wait again. */
    run_cli(s, &r, (const char *const[]){"create", "interrupted build", NULL});
    snprintf(id, sizeof id, "%.*s", (int)strcspn(r.out, "\n"), r.out);
    run_result_free(&r);
    f = fopen(filters, "w");
    assert_non_null(f);
    fputs("{\"companySearchParams\":{\"headquartersCountryCode\":[\"US\"]},\"maxCompanies\":5}", f);
    fclose(f);
    run_cli(s, &r, (const char *const[]){"set-filters", id, filters, NULL});
    run_result_free(&r);
    unlink(filters);
    add_fault(s, "{\"match\":{\"path\":\"/v1/audiences/*/build\"},\"action\":{\"type\":\"hold\",\"status\":\"BUILDING\"}}");
    int sent = 0;
    run_on_terminal(s, &r, (const char *const[]){"build", id, "--wait", "--wait-timeout", "100000", NULL}, NULL, 0,
                    interrupt_when_waiting, &sent);
    clear_faults(s);
    assert_int_equal(r.exit_code, 130);
    char expected[160];
    snprintf(expected, sizeof expected, "The build of audience %s was started", id);
    assert_non_null(strstr(r.err, expected));
    snprintf(expected, sizeof expected, "descovo status %s --wait --mock-clock", id);
    assert_non_null(strstr(r.err, expected));
    run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_refuses_without_terminal, setup),
        cmocka_unit_test_setup(test_run_job, setup),
        cmocka_unit_test_setup(test_asks_on_a_terminal, setup),
        cmocka_unit_test_setup(test_help_and_usage, setup),
        cmocka_unit_test_setup(test_mock_clock_refused, setup),
        cmocka_unit_test_setup(test_export_checks_output_first, setup),
        cmocka_unit_test_setup(test_interrupt_and_resume, setup),
        cmocka_unit_test_setup(test_transparency, setup),
        cmocka_unit_test_setup(test_filters_and_warnings, setup),
        cmocka_unit_test_setup(test_run_json_error, setup),
        cmocka_unit_test_setup(test_help_and_tables, setup),
        cmocka_unit_test_setup(test_bar_fits_the_terminal, setup),
    };
    return cmocka_run_group_tests_name("client_cli", tests, group_setup, group_teardown);
}
