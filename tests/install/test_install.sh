#!/bin/sh
# test_install.sh - an installed gao-dev, moved elsewhere, works on its own.
#
#   tests/install/test_install.sh BUILD_DIR SOURCE_DIR
#
# `meson install --destdir` of BUILD_DIR into a temporary directory, the
# installed prefix then moved to another path (a relocated tree), and the
# moved gao-dev run: --version, policy show default, sandbox validate of
# the installed demo benchmark, and `gao-dev demo` from another directory
# (the installed fake API on loopback, no network). Each shows that the
# installed files were used (the profile's source path, the demo's path),
# and the negative cases that nothing else is used in their place: with
# the installed worker or data moved away the run fails (exit 4 / 2)
# instead of using the build tree's worker or the source tree's data
# (supervisor/core/datadir.h); GAO_DEV_DATADIR and GAO_DEV_WORKER win.
# As root, the checks run in a private mount namespace where the source
# and build trees are hidden under an empty tmpfs, so the compiled-in
# source paths cannot be reached at all. Exit 0 when every check passed.
set -eu

if [ "${1:-}" = --checks ]; then
	shift
	moved=$1 work=$2 src=$3 build=$4 hidden=$5
else
	if [ $# -ne 2 ]; then
		echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
		exit 2
	fi
	unset GAO_DEV_DATADIR GAO_DEV_WORKER ANTHROPIC_API_KEY \
		ANTHROPIC_BASE_URL || true
	build=$(readlink -f "$1")
	src=$(readlink -f "$2")
	base=${GAO_INSTALL_TMPDIR:-/var/tmp}
	work=$(mktemp -d "$base/gao-install-XXXXXX")
	trap 'rm -rf "$work"' EXIT INT TERM
	# the workers of a root run have their own uid: let them pass
	chmod 0755 "$work"
	meson install -C "$build" --destdir "$work/dest" --no-rebuild \
		--quiet >"$work/install.log" 2>&1 || {
		cat "$work/install.log" >&2
		exit 1
	}
	exe=$(find "$work/dest" -path '*/bin/gao-dev' -type f)
	prefix=${exe%/bin/gao-dev}
	moved="$work/moved/opt-gao"
	mkdir -p "$work/moved"
	mv "$prefix" "$moved"
	rm -rf "$work/dest"
	echo "installed with DESTDIR, moved to $moved"
	# the build tree's own gao-dev (it alone may use the source tree)
	echo "-- the build tree's gao-dev demo: the source tree's demo files"
	mkdir -p "$work/bt"
	if ! (cd "$work/bt" && "$build/supervisor/gao-dev" demo \
		>"$work/bt.out" 2>&1) ||
		! grep -qF "running $src/benchmarks/demo.yaml" "$work/bt.out"; then
		echo "FAIL: the build tree's gao-dev demo:" >&2
		tail -n 20 "$work/bt.out" >&2
		exit 1
	fi
	echo "-- gao-dev demo refuses a key and files (exit 2)"
	for args in "--api-key sk-ant-not-a-real-key" "--api-key-file /dev/null" \
		"$src/benchmarks/demo.yaml"; do
		# shellcheck disable=SC2086 # the words are separate arguments
		if (cd "$work/bt" && "$build/supervisor/gao-dev" demo $args \
			>"$work/bt.out" 2>&1); [ $? -ne 2 ] ||
			grep -q "sk-ant-not-a-real-key" "$work/bt.out"; then
			echo "FAIL: gao-dev demo $args:" >&2
			cat "$work/bt.out" >&2
			exit 1
		fi
	done
	echo "-- gao-dev demo without a working python3: exit 4, nothing left"
	mkdir -p "$work/nopy/bin" "$work/nopy/tmp"
	ln -s /bin/false "$work/nopy/bin/python3"
	if (cd "$work/bt" && PATH="$work/nopy/bin:$PATH" TMPDIR="$work/nopy/tmp" \
		"$build/supervisor/gao-dev" demo >"$work/bt.out" 2>&1); [ $? -ne 4 ] ||
		! grep -q "exited before it listened" "$work/bt.out" ||
		[ -n "$(ls -A "$work/nopy/tmp")" ]; then
		echo "FAIL: gao-dev demo without python3:" >&2
		cat "$work/bt.out" >&2
		ls -A "$work/nopy/tmp" >&2
		exit 1
	fi
	rm -rf "$work/bt" "$work/nopy"
	# coverage counters (a coverage build) go to a scratch directory
	export GCOV_PREFIX="$work/gcov"
	cp "$0" "$work/checks.sh"
	if [ "$(id -u)" = 0 ] &&
		unshare --mount --propagation private true 2>/dev/null; then
		echo "source and build trees hidden (a private mount namespace)"
		set +e
		unshare --mount --propagation private sh "$work/checks.sh" \
			--checks "$moved" "$work" "$src" "$build" 1
		exit $?
	fi
	echo "not root: the source and build trees stay visible; the" \
		"paths printed show which files were used"
	set +e
	sh "$work/checks.sh" --checks "$moved" "$work" "$src" "$build" 0
	exit $?
fi

if [ "$hidden" = 1 ]; then
	mount -t tmpfs -o size=64k,mode=0755 tmpfs "$src"
	case "$build/" in
	"$src"/*) ;;
	*) mount -t tmpfs -o size=64k,mode=0755 tmpfs "$build" ;;
	esac
	[ ! -e "$src/meson.build" ] || { echo "FAIL: $src still visible"; exit 1; }
fi

g="$moved/bin/gao-dev"
data="$moved/share/gao-dev"
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
# expect RC CMD...: run CMD, its output in $work/out, exit code RC
expect() {
	want=$1
	shift
	set +e
	"$@" >"$work/out" 2>&1
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		fail "$* exited $got, expected $want:"
		sed 's/^/    /' "$work/out" | tail -n 20 >&2
		return 1
	fi
	return 0
}
has() {
	grep -qF -- "$1" "$work/out" || {
		fail "no '$1' in the output of the last command:"
		sed 's/^/    /' "$work/out" | tail -n 20 >&2
	}
}
lacks() {
	! grep -qF -- "$1" "$work/out" || fail "'$1' in the output: $(grep -F -- "$1" "$work/out" | head -n 2)"
}

echo "-- gao-dev --version"
expect 0 "$g" --version && has "gao-dev "

echo "-- gao-dev policy show default: the installed profile"
expect 0 "$g" policy show default &&
	has "# source: $data/policy/profiles/default.yaml"
lacks "$src"

echo "-- gao-dev sandbox validate (the installed demo benchmark)"
expect 0 "$g" sandbox validate "$data/demo/benchmarks/demo.yaml"

echo "-- gao-dev demo, from another directory"
mkdir -p "$work/elsewhere"
cd "$work/elsewhere"
if expect 0 "$g" demo; then
	has "running $data/demo/benchmarks/demo.yaml"
	has "passed   tests_passing"
	has "results:   $work/elsewhere/gao-dev-demo/results/"
	lacks "$src"
	ls "$work"/elsewhere/gao-dev-demo/results/*.json >/dev/null ||
		fail "no results file under ./gao-dev-demo/results"
fi
ls "${TMPDIR:-/tmp}"/gao-dev-demo-* >/dev/null 2>&1 &&
	echo "note: a gao-dev-demo-* directory is in ${TMPDIR:-/tmp} (another run's?)"

echo "-- without the installed worker: exit 4, never the build tree's"
mv "$moved/libexec/gao-dev-worker" "$work/worker.away"
if [ ! -e /usr/local/libexec/gao-dev-worker ]; then
	expect 4 "$g" demo --sandbox-root "$work/s2" &&
		has "cannot find gao-dev-worker"
fi
echo "-- GAO_DEV_WORKER wins"
expect 0 env GAO_DEV_WORKER="$work/worker.away" "$g" demo \
	--sandbox-root "$work/s3" && has "passed   tests_passing"
expect 4 env GAO_DEV_WORKER="$work/nonexistent" "$g" demo \
	--sandbox-root "$work/s4" && has "GAO_DEV_WORKER=$work/nonexistent"
mv "$work/worker.away" "$moved/libexec/gao-dev-worker"

echo "-- without the installed data: an error, never the source tree's"
mv "$data" "$work/data.away"
expect 2 "$g" policy show default
lacks "$src"
expect 4 "$g" demo --sandbox-root "$work/s5" && has "gao-dev demo:"
lacks "$src"
echo "-- GAO_DEV_DATADIR wins"
expect 0 env GAO_DEV_DATADIR="$work/data.away" "$g" policy show strict &&
	has "# source: $work/data.away/policy/profiles/strict.yaml"
mv "$work/data.away" "$data"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all install checks passed"
