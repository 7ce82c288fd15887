#!/usr/bin/env bash
# tests/package/deb_test.sh BUILD_DIR VERSION
#
# Builds the Debian package with CPack into a temporary folder and checks its
# contents (dpkg-deb -c) and its dependencies (dpkg-deb -f Depends).
set -euo pipefail
build=$1
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log" 2>&1 ||
  fail "cpack failed: $(cat "$work/cpack.log")"
deb=$(ls "$work"/pgshift_"$version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no pgshift_${version}_*.deb in $work: $(ls "$work")"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
echo "$contents"
for file in ./usr/bin/pgshift ./usr/share/man/man1/pgshift.1.gz ./usr/share/man/man1/pgshift-inspect.1.gz \
            ./usr/share/man/man1/pgshift-plan.1.gz ./usr/share/man/man1/pgshift-apply.1.gz \
            ./usr/share/man/man1/pgshift-drift.1.gz ./usr/share/bash-completion/completions/pgshift \
            ./usr/share/zsh/vendor-completions/_pgshift ./usr/share/pgshift/pgshift.schema.json; do
  grep -qxF "$file" <<<"$contents" || fail "$file is not in the package"
done

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
libraries=(libpqxx-6.4 libpq5 libyaml-0-2 libfmt libstdc++6 libc6)
# jemalloc is linked unless the build has the sanitizers (PGSHIFT_JEMALLOC).
if readelf -d "$build/cli/pgshift" | grep -q 'NEEDED.*libjemalloc'; then
  libraries+=(libjemalloc2)
fi
for library in "${libraries[@]}"; do
  grep -q "$library" <<<"$depends" || fail "Depends lacks $library: $depends"
done
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "wrong Version: $(dpkg-deb -f "$deb" Version)"

# The packaged binary runs and is stripped: no symbol table (its size is no
# measure: a sanitizer build stays large stripped).
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/pgshift" --version | grep -q "^pgshift $version (commit " || fail "packaged --version"
if readelf -S --wide "$work/root/usr/bin/pgshift" | grep -q '\.symtab'; then
  fail "the packaged binary has a symbol table: not stripped"
fi
echo "deb_test: $(basename "$deb"): ok"
