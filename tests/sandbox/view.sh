# view.sh - make a clone below a directory others cannot search (a 0700
# home) reachable for another uid, in a private mount namespace, without
# changing anything on the host. Sourced by tests/sandbox/run-as-users and
# tests/conditions/escape-under; call view_make only inside
# `unshare --mount --propagation private`.

# The topmost directory above $1 that others cannot search, or nothing.
view_blocked_dir() {
	b=""
	d=$(dirname "$1")
	while [ "$d" != / ]; do
		m=$(stat -c %a "$d")
		if [ $(( ${m#"${m%?}"} & 1 )) = 0 ]; then
			b=$d
		fi
		d=$(dirname "$d")
	done
	echo "$b"
}

# In a private mount namespace: a tmpfs on each blocking directory, and
# the trees moved back at their own paths from a staging bind.
view_make() {
	stage=$(mktemp -d /run/gao-sbx-view-XXXXXX 2>/dev/null ||
		mktemp -d /var/tmp/gao-sbx-view-XXXXXX)
	i=0
	for tree in "$@"; do
		mkdir "$stage/$i"
		mount --bind "$tree" "$stage/$i"
		i=$((i + 1))
	done
	for tree in "$@"; do
		mask=$(view_blocked_dir "$tree")
		if [ -n "$mask" ] && ! mountpoint -q "$mask"; then
			mount -t tmpfs -o mode=0755,size=64k tmpfs "$mask"
		fi
	done
	i=0
	for tree in "$@"; do
		mkdir -p "$tree"
		mount --move "$stage/$i" "$tree"
		rmdir "$stage/$i"
		i=$((i + 1))
	done
	rmdir "$stage"
}

