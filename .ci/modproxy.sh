# A file-based Go module proxy for this repository's modules, sourced by
# .ci/release and .ci/release-dryrun (docs/releasing.md).
#
# Publishing a module here is what the public proxy does when asked for a
# tag or a commit: the go command itself fetches the revision from a git
# repository (GOPROXY=direct) and writes the .info, .mod and .zip files. A
# git setting points github.com/trustedip/trustedip at a local clone, so
# the files are byte for byte those the public proxy will serve once the
# tags are pushed, and the go.sum lines a release commits match them.
#
# Every other module comes from the module cache of this machine, then
# from the proxies of `go env GOPROXY`; "direct" is left out, so nothing is
# fetched from a code host. The go commands run with a module cache of
# their own, which is thrown away: test versions never reach the real one.

MODPROXY_PATH=github.com/trustedip/trustedip

# modproxy_init DIR REPO: a proxy in DIR (created) serving the modules of
# the git repository REPO. Sets MODPROXY, the proxy's directory.
modproxy_init() {
	local dir=$1 repo
	repo=$(cd "$2" && pwd)
	mkdir -p "$dir/publisher" "$dir/modcache"
	MODPROXY_DIR=$(cd "$dir" && pwd)
	MODPROXY="$MODPROXY_DIR/publisher/cache/download"
	mkdir -p "$MODPROXY"
	printf '[url "file://%s"]\n\tinsteadOf = https://%s\n' "$repo" "$MODPROXY_PATH" >"$MODPROXY_DIR/gitconfig"

	local upstream="" p
	local IFS=',|'
	for p in $(go env GOPROXY); do
		case $p in direct | off | "") ;; *) upstream="$upstream,$p" ;; esac
	done
	MODPROXY_GOPROXY="file://$MODPROXY,file://$(go env GOMODCACHE)/cache/download$upstream"
	# -trimpath: the module cache is new each time, and without it every
	# package compiled from it would miss the build cache.
	# It also makes runtime.GOROOT() empty in the tests, unless GOROOT is set.
	MODPROXY_GOFLAGS="$(go env GOFLAGS) -modcacherw -trimpath"
	MODPROXY_GOROOT=$(go env GOROOT)
}

# modproxy_go ARGS...: the go command as a user of the proxy: outside any
# workspace, this repository's modules from the proxy alone and unknown to
# the checksum database (they are not published), the rest as usual.
modproxy_go() {
	GOWORK=off GOPROXY="$MODPROXY_GOPROXY" GOFLAGS="$MODPROXY_GOFLAGS" GOROOT="$MODPROXY_GOROOT" \
		GONOSUMDB="$MODPROXY_PATH" GOMODCACHE="$MODPROXY_DIR/modcache" go "$@"
}

# modproxy_publish MODULE@REV...: publish each module at a tag, a version
# or a commit of the repository. For a commit it also answers the query
# by commit hash (full and 12 characters), as the public proxy does.
modproxy_publish() {
	local arg path rev version
	for arg in "$@"; do
		path=${arg%@*} rev=${arg##*@}
		version=$(modproxy_publisher mod download -json "$arg" |
			awk '$1 == "\"Version\":" { gsub(/[",]/, "", $2); print $2 }') || return 1
		[ -n "$version" ] || { echo "modproxy: $arg was not published" >&2; return 1; }
		if [ "$version" != "$rev" ]; then
			cp "$MODPROXY/$path/@v/$version.info" "$MODPROXY/$path/@v/$rev.info"
			cp "$MODPROXY/$path/@v/$version.info" "$MODPROXY/$path/@v/${rev:0:12}.info"
		fi
		echo "published $path@$version"
	done
}

# modproxy_publisher ARGS...: the go command as the public proxy is: it
# fetches this repository's modules from the git repository.
modproxy_publisher() {
	(cd "$MODPROXY_DIR" && GIT_CONFIG_GLOBAL="$MODPROXY_DIR/gitconfig" GIT_TERMINAL_PROMPT=0 \
		GOWORK=off GOPROXY=direct GOFLAGS="$MODPROXY_GOFLAGS" GONOSUMDB="$MODPROXY_PATH" \
		GOMODCACHE="$MODPROXY_DIR/publisher" go "$@")
}

# modproxy_clean: remove the proxy and its module caches (writable, by
# -modcacherw).
modproxy_clean() {
	[ -n "${MODPROXY_DIR:-}" ] || return 0
	rm -rf "$MODPROXY_DIR" 2>/dev/null || { chmod -R u+w "$MODPROXY_DIR"; rm -rf "$MODPROXY_DIR"; }
}
