/*
 * test_net.c - escape attempts on the network and terminals: #10-#13 of
 * docs/escape-suite.md.
 *
 * The suite listens on the host before each attempt: TCP and UDP on
 * 127.0.0.1, a pathname unix socket in a directory every user may
 * traverse (mode 0777, like a docker.sock or ssh-agent socket the worker
 * could otherwise reach), and an abstract unix socket. After the attempt
 * every listener must have seen nothing: no connection, no datagram.
 * The datagram variants of #11 and #12 add datagram listeners (one in
 * the project itself, which the worker sees at every level) and try
 * every socketpair type and every way to address them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "attempt.h"

struct listeners {
	int tcp, udp, unix_path, abstract;
	int tcp_port, udp_port;
	char path[PATH_MAX + 32];
	char name[64];
};

static int
inet_listener(int type, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int
unix_listener(const char *name, bool abstract)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(a);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	if (abstract) {
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s", name);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  strlen(name));
	} else {
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", name);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0, "bind %s: %s",
		     name, strerror(errno));
	cr_assert_eq(listen(fd, 8), 0);
	if (!abstract)
		cr_assert_eq(chmod(name, 0777), 0);
	return fd;
}

static void
listen_all(const struct sbx *s, struct listeners *l)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/pub", s->base);
	cr_assert_eq(mkdir(dir, 0711), 0);
	snprintf(l->path, sizeof(l->path), "%s/agent.sock", dir);
	snprintf(l->name, sizeof(l->name), "gao-sbx-%s", s->token);
	l->tcp = inet_listener(SOCK_STREAM, &l->tcp_port);
	l->udp = inet_listener(SOCK_DGRAM, &l->udp_port);
	l->unix_path = unix_listener(l->path, false);
	l->abstract = unix_listener(l->name, true);
}

/* How many listeners saw a connection or a datagram; closes them. */
static int
heard(struct listeners *l)
{
	char b[16];
	int n = 0, fd;

	for (int i = 0; i < 3; i++) {
		int lfd = i == 0 ? l->tcp : i == 1 ? l->unix_path : l->abstract;

		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			n++;
			close(fd);
		} else {
			cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		}
		close(lfd);
	}
	if (recv(l->udp, b, sizeof(b), MSG_DONTWAIT) >= 0)
		n++;
	close(l->udp);
	return n;
}

/* Any "name=OK" line among names. */
static bool
any_ok(const char *out, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sbx_has_line(out, names[i], "OK"))
			return true;
	return false;
}

static const char *const sock_names[] = {
	"inet_stream", "inet_dgram",   "inet_raw",         "inet6_stream",
	"inet6_dgram", "netlink",      "packet",           "vsock",
	"unix_stream", "unix_dgram",   "socketpair_inet",  "tcp_connect",
	"udp_send",    "unix_connect", "abstract_connect",
};

/* The socket attempts all go through the probe; #10-#12 differ in what
 * they judge. */
static const char *
sock_attempt(struct sbx *s, struct listeners *l, int *heard_n)
{
	const char *out;

	sbx_install_probe(s);
	listen_all(s, l);
	out = sbx_bash(s, 20000,
		       "./sbx-probe sock %d %d %s %s; "
		       "curl -sS -m 2 http://127.0.0.1:%d/ ; echo curl=$?; "
		       "echo x > /dev/tcp/127.0.0.1/%d; echo devtcp=$?; "
		       "echo x > /dev/udp/127.0.0.1/%d; echo devudp=$?; "
		       "python3 -c 'import socket; socket.create_connection("
		       "(\"127.0.0.1\", %d), 2)' 2>&1 | tail -n 1",
		       l->tcp_port, l->udp_port, l->path, l->name, l->tcp_port,
		       l->tcp_port, l->udp_port, l->tcp_port);
	*heard_n = heard(l);
	return out;
}

SBX_ATTEMPT(a10_network)
{
	struct listeners l;
	const char *out;
	int n;
	bool escaped;

	out = sock_attempt(s, &l, &n);
	escaped = n > 0 || any_ok(out, sock_names, 8) ||
		  strstr(out, "curl=0") || strstr(out, "devtcp=0") ||
		  strstr(out, "devudp=0");
	sbx_judge(s, 10, escaped, out);
	cr_assert(sbx_has_line(out, "inet_stream", "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "inet_raw", "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "netlink", "EAFNOSUPPORT"), "%s", out);
	cr_assert(sbx_has_line(out, "packet", "EAFNOSUPPORT"), "%s", out);
	cr_assert(sbx_has_line(out, "vsock", "EAFNOSUPPORT"), "%s", out);
	cr_assert(sbx_has_line(out, "tcp_connect", "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "udp_send", "EPERM"), "%s", out);
}

SBX_ATTEMPT(a11_unix_path)
{
	struct listeners l;
	const char *out;
	int n;
	bool escaped;

	out = sock_attempt(s, &l, &n);
	escaped = n > 0 || sbx_has_line(out, "unix_connect", "OK") ||
		  sbx_has_line(out, "unix_stream", "OK");
	sbx_judge(s, 11, escaped, out);
	cr_assert(sbx_has_line(out, "unix_connect", "EPERM"), "%s", out);
}

SBX_ATTEMPT(a12_unix_abstract)
{
	struct listeners l;
	const char *out;
	int n;
	bool escaped;

	out = sock_attempt(s, &l, &n);
	escaped = n > 0 || sbx_has_line(out, "abstract_connect", "OK");
	sbx_judge(s, 12, escaped, out);
	cr_assert(sbx_has_line(out, "abstract_connect", "EPERM"), "%s", out);
}

/*
 * #11 and #12 by datagram: listeners a datagram socket could address
 * (SOCK_DGRAM, non-blocking): one in the project, which the worker sees
 * at every level, like a /dev/log it could reach; one outside in pub/;
 * one abstract. The probe tries every socketpair type and a socket(),
 * and from each socket it got, sendto, sendmsg with an address and
 * connect to each of them and to /dev/log; Python and logger try the
 * same by the library route.
 */
struct dgram_listeners {
	int proj, out, abstract;
	char proj_path[PATH_MAX + 32], out_path[PATH_MAX + 32];
	char name[64];
};

static int
dgram_listener(const char *spec)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(a);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	cr_assert_geq(fd, 0);
	if (spec[0] == '@') {
		snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s",
			 spec + 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				  strlen(spec));
	} else {
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", spec);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, len), 0, "bind %s: %s",
		     spec, strerror(errno));
	if (spec[0] != '@')
		cr_assert_eq(chmod(spec, 0777), 0);
	return fd;
}

/* Datagrams each listener received (drained), then closed. */
static int
dgrams_heard(struct dgram_listeners *l)
{
	int fds[3] = { l->proj, l->out, l->abstract };
	char b[16];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		while (recv(fds[i], b, sizeof(b), MSG_DONTWAIT) >= 0)
			n++;
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK);
		close(fds[i]);
	}
	return n;
}

/* Any "=OK" line but the stream pairs', which may exist. */
static bool
dgram_any_ok(const char *out)
{
	const char *p = out;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n >= 3 && !strncmp(p + n - 3, "=OK", 3) &&
		    strncmp(p, "pair_stream", 11) != 0)
			return true;
		p += e ? n + 1 : n;
	}
	return false;
}

static const char *
dgram_attempt(struct sbx *s, struct dgram_listeners *l, int *heard_n)
{
	char dir[PATH_MAX];
	const char *out;

	sbx_install_probe(s);
	snprintf(dir, sizeof(dir), "%s/pub", s->base);
	cr_assert_eq(mkdir(dir, 0711), 0);
	snprintf(l->proj_path, sizeof(l->proj_path), "%s/log.sock", s->project);
	snprintf(l->out_path, sizeof(l->out_path), "%s/dgram.sock", dir);
	snprintf(l->name, sizeof(l->name), "@gao-sbx-dgram-%s", s->token);
	l->proj = dgram_listener(l->proj_path);
	l->out = dgram_listener(l->out_path);
	l->abstract = dgram_listener(l->name);
	out = sbx_bash(
		s, 20000,
		"./sbx-probe dgram %s %s %s /dev/log; "
		"python3 - %s %s %s <<'EOF' 2>&1 | tail -n 4\n"
		"import socket, sys\n"
		"for t in (socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):\n"
		"    try:\n"
		"        a, b = socket.socketpair(socket.AF_UNIX, t)\n"
		"    except OSError as e:\n"
		"        print('py_pair%%d=%%s' %% (t, type(e).__name__))\n"
		"        continue\n"
		"    a.setblocking(False)\n"
		"    for p in sys.argv[1:]:\n"
		"        p = '\\0' + p[1:] if p[0] == '@' else p\n"
		"        a.sendto(b'x', p)\n"
		"        print('py_sendto=OK')\n"
		"EOF\n"
		"logger --socket-errors=on -u %s gao-sbx; echo logger=$?; "
		"logger --socket-errors=on -u %s -d gao-sbx; "
		"echo logger_d=$?",
		l->proj_path, l->out_path, l->name, l->proj_path, l->out_path,
		l->name, l->proj_path, l->out_path);
	*heard_n = dgrams_heard(l);
	return out;
}

SBX_ATTEMPT(a11_unix_dgram)
{
	struct dgram_listeners l;
	const char *out;
	int n;
	bool escaped;

	out = dgram_attempt(s, &l, &n);
	escaped = n > 0 || dgram_any_ok(out) ||
		  sbx_has_line(out, "logger", "0") ||
		  sbx_has_line(out, "logger_d", "0");
	sbx_judge(s, 11, escaped, out);
	/* a stream pair still works: pipes of programs need it */
	cr_assert(sbx_has_line(out, "pair_stream", "OK"), "%s", out);
	cr_assert(sbx_has_line(out, "pair_stream_flags", "OK"), "%s", out);
}

SBX_ATTEMPT(a12_abstract_dgram)
{
	struct dgram_listeners l;
	const char *out;
	int n;
	bool escaped;

	out = dgram_attempt(s, &l, &n);
	escaped = n > 0 || dgram_any_ok(out);
	sbx_judge(s, 12, escaped, out);
}

SBX_ATTEMPT(a13_terminal)
{
	static const char *const inject[] = {
		"stdin_TIOCSTI", "stdin_TIOCSTI_high", "stdin_TIOCLINUX",
		"tty_TIOCSTI",   "tty_TIOCSTI_high",   "tty_TIOCLINUX",
		"pts_TIOCSTI",   "pts_TIOCSTI_high",   "pts_TIOCLINUX",
		"open_dev_tty",
	};
	const char *out;
	bool escaped;

	sbx_install_probe(s);
	out = sbx_bash(s, 10000, "./sbx-probe tty");
	escaped = any_ok(out, inject, sizeof(inject) / sizeof(inject[0]));
	sbx_judge(s, 13, escaped, out);
	cr_assert(sbx_has_line(out, "stdin_TIOCSTI", "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "stdin_TIOCSTI_high", "EPERM"), "%s", out);
	cr_assert(sbx_has_line(out, "stdin_TIOCLINUX", "EPERM"), "%s", out);
	/* Landlock's EACCES, or the host's: no controlling terminal
	 * (ENXIO), no /dev/tty (ENOENT), a device cgroup (EPERM) */
	cr_assert(sbx_has_line(out, "open_dev_tty", "ENXIO") ||
			  sbx_has_line(out, "open_dev_tty", "EACCES") ||
			  sbx_has_line(out, "open_dev_tty", "ENOENT") ||
			  sbx_has_line(out, "open_dev_tty", "EPERM"),
		  "%s", out);
	/* where a pty can be opened, injecting into it is still refused */
	if (sbx_has_line(out, "open_pts", "OK"))
		cr_assert(sbx_has_line(out, "pts_TIOCSTI", "EPERM") &&
				  sbx_has_line(out, "pts_TIOCSTI_high",
					       "EPERM"),
			  "%s", out);
}
