/*
 * harness_replay.c - the helpers of the record and replay tests. See
 * harness_replay.h.
 */
#include "harness_replay.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * `gao-dev sandbox run ARGS... --standalone --sandbox-root ROOT` in
 * t->dir with no key anywhere (h_run never passes ANTHROPIC_API_KEY) and
 * ANTHROPIC_BASE_URL at port; the output into t->out.
 */
void
hr_run_nokey(struct hb *t, const char *root, int port, const char *const *args)
{
	const char *argv[40] = { "sandbox", "run" };
	char base[64];
	const char *env[] = { base, NULL };
	size_t n = 2;

	snprintf(base, sizeof(base), "ANTHROPIC_BASE_URL=http://127.0.0.1:%d",
		 port);
	for (size_t i = 0; args[i] && n < 34; i++)
		argv[n++] = args[i];
	argv[n++] = "--standalone";
	argv[n++] = "--sandbox-root";
	argv[n++] = root;
	argv[n] = NULL;
	h_out_free(&t->out);
	t->seconds = h_now_s();
	h_run(argv, env, t->dir, 180, &t->out);
	t->seconds = h_now_s() - t->seconds;
	cr_assert(t->out.out && t->out.err);
}

/* Whether something accepts connections on 127.0.0.1:port. */
bool
hr_port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool open;

	cr_assert_geq(fd, 0);
	open = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return open;
}

/* Stop t's fake and make sure nothing answers on its port any more. */
void
hr_stop_fake(struct hb *t)
{
	int port = t->fake.port;

	h_fake_stop(&t->fake);
	cr_assert_not(hr_port_open(port), "the fake still listens on %d", port);
}

/* The POST /v1/messages requests the fake at record got. */
size_t
hr_fake_posts(const char *record)
{
	json_t *all = h_jsonl(record), *e;
	size_t i, n = 0;

	json_array_foreach(all, i, e)
		n += !strcmp(hb_str(e, "path"), "/v1/messages");
	json_decref(all);
	return n;
}

/* Every .jsonl file below dir (recursive), sorted, into paths. */
void
hr_jsonl_files(const char *dir, json_t *paths)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		cr_assert_eq(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			hr_jsonl_files(p, paths);
		else if (len > 6 && !strcmp(e->d_name + len - 6, ".jsonl"))
			json_array_append_new(paths, json_string(p));
	}
	closedir(d);
}
