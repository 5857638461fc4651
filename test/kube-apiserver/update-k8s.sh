#!/usr/bin/env bash
# Pins k8s.io/kubernetes at the version given (default: the one in go.mod) and regenerates go.mod's replace
# block from that module's own go.mod. k8s.io/kubernetes requires its staging modules (k8s.io/api,
# k8s.io/apiserver, ...) at v0.0.0 and replaces them with ./staging directories that only exist in its own
# repository; a module that depends on it must replace each one with the published v0.<minor>.<patch> tag.
# Usage: ./update-k8s.sh [v1.36.3]
set -euo pipefail
cd "$(dirname "$0")"

version="${1:-$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' go.mod)}"
staging="v0.${version#v1.}" # v1.36.3 -> v0.36.3
modfile="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"

# Every k8s.io module required at v0.0.0 is a staging module.
mapfile -t modules < <(awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// { print $1 }' "$modfile" | sort -u)

go mod edit -require="k8s.io/kubernetes@$version"
for module in "${modules[@]}"; do
  go mod edit -replace="$module=$module@$staging"
done
go mod tidy
echo "k8s.io/kubernetes $version with ${#modules[@]} staging modules at $staging"
