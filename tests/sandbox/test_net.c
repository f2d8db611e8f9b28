/*
 * test_net.c - escape attempts on the network and terminals: #10-#13 of
 * docs/escape-suite.md.
 *
 * The suite listens on the host before each attempt: TCP and UDP on
 * 127.0.0.1, a pathname unix socket in a directory every user may
 * traverse (mode 0777, like a docker.sock or ssh-agent socket the worker
 * could otherwise reach), and an abstract unix socket. After the attempt
 * every listener must have seen nothing: no connection, no datagram.
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
