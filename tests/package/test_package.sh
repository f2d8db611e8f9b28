#!/bin/sh
# test_package.sh - the Debian package: built, installed, used, removed.
#
#   tests/package/test_package.sh
#
# Builds gao-dev_*.deb with scripts/build-deb (a copy of the tree, a
# release build, nocheck), installs it with apt-get, and checks the
# installed gao-dev: its files where debian/ puts them, the installed
# profile in `policy show`, and `gao-dev demo` run from another directory
# as root and as an unprivileged user ($GAO_SBX_USER, default
# gaodev-test, as in tests/sandbox/run-as-users), each with the fake API
# offline, passing, and leaving nothing in its $TMPDIR. The package is
# ALWAYS removed again (a trap, also on failure or interruption); a
# gao-dev package installed before the test is never touched: the test
# stops instead. Root only (installing packages): otherwise it says so
# and exits 77 (skipped).
#
# Exit status: 0 passed, 1 a check failed, 2 setup error, 77 skipped.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: installing the package needs root (CI runs as root)"
	exit 77
fi
if dpkg-query -W -f='${Status}' gao-dev 2>/dev/null |
	grep -q "install ok installed"; then
	echo "$0: a gao-dev package is installed on this machine already;" \
		"not replacing it (remove it first: apt-get remove gao-dev)" >&2
	exit 2
fi
if ! command -v dh >/dev/null 2>&1; then
	echo "$0: debhelper is missing (scripts/setup installs it)" >&2
	exit 2
fi

work=$(mktemp -d "${GAO_SBX_TMPDIR:-/var/tmp}/gao-pkg-XXXXXX")
chmod 0755 "$work"
installed=0
cleanup() {
	rc=$?
	if [ "$installed" = 1 ]; then
		apt-get remove -y -qq gao-dev >"$work/remove.log" 2>&1 ||
			dpkg -r gao-dev >>"$work/remove.log" 2>&1 || true
		if dpkg-query -W -f='${Status}' gao-dev 2>/dev/null |
			grep -q "install ok installed" || [ -e /usr/bin/gao-dev ]; then
			echo "FAIL: the package could not be removed:" >&2
			cat "$work/remove.log" >&2
			rc=1
		else
			echo "package removed"
		fi
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t0=$(date +%s)
deb=$("$src/scripts/build-deb" "$work")
t1=$(date +%s)
echo "built $(basename "$deb") in $((t1 - t0)) s ($(du -k "$deb" | cut -f1) KiB)"

installed=1 # from here on the trap removes it, even half-installed
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" \
	>"$work/install.log" 2>&1 || {
	cat "$work/install.log" >&2
	exit 1
}
echo "installed in $(($(date +%s) - t1)) s"

fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
for f in /usr/bin/gao-dev /usr/libexec/gao-dev-worker \
	/usr/share/gao-dev/policy/profiles/default.yaml \
	/usr/share/gao-dev/demo/benchmarks/demo.yaml \
	/usr/share/gao-dev/demo/scripts/fake-anthropic \
	/usr/share/man/man1/gao-dev.1.gz; do
	[ -e "$f" ] || fail "$f is not installed"
done
[ "$(command -v gao-dev)" = /usr/bin/gao-dev ] ||
	fail "gao-dev on PATH is $(command -v gao-dev)"
gao-dev policy show default | grep -qF \
	"# source: /usr/share/gao-dev/policy/profiles/default.yaml" ||
	fail "policy show default does not use the installed profile"

# demo_as WHO CMD...: gao-dev demo from $work/WHO, its own TMPDIR
demo_as() {
	who=$1
	shift
	mkdir -p "$work/$who/cwd" "$work/$who/tmp"
	[ "$who" = root ] || chown -R "$who:" "$work/$who"
	set +e
	(cd "$work/$who/cwd" && "$@" env TMPDIR="$work/$who/tmp" \
		gao-dev demo >"$work/$who/out" 2>"$work/$who/err")
	rc=$?
	set -e
	echo "gao-dev demo as $who: exit $rc"
	if [ "$rc" -ne 0 ] ||
		! grep -q "passed   tests_passing" "$work/$who/out" ||
		! grep -qF "running /usr/share/gao-dev/demo/benchmarks/demo.yaml" \
			"$work/$who/err"; then
		fail "gao-dev demo as $who (exit $rc):"
		tail -n 20 "$work/$who/err" "$work/$who/out" >&2
	fi
	[ -z "$(ls -A "$work/$who/tmp")" ] ||
		fail "gao-dev demo as $who left files in its TMPDIR:" \
			"$(ls -A "$work/$who/tmp")"
	ls "$work/$who"/cwd/gao-dev-demo/results/*.json >/dev/null 2>&1 ||
		fail "gao-dev demo as $who wrote no results file"
}
demo_as root

user=${GAO_SBX_USER:-gaodev-test}
if ! id -u "$user" >/dev/null 2>&1; then
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$user"
fi
demo_as "$user" env -i PATH=/usr/local/bin:/usr/bin:/bin \
	HOME=/nonexistent USER="$user" LOGNAME="$user" \
	setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" \
	--clear-groups --

if [ "$fails" -ne 0 ]; then
	echo "$fails package check(s) failed" >&2
	exit 1
fi
echo "package checks passed"
