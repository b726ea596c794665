#!/usr/bin/env bash
# Builds the pinned local control-plane binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, metrics-server) from the Go
# module proxy into a versioned folder, bin/k8s/<version>/. A folder that
# already holds every binary is reused as it is; only missing ones are built.
# Nothing is downloaded from release pages. The folder's path is printed on
# stdout at the end; what a person reads goes to stderr: before the builds,
# the number of packages to compile (counted with `go list -deps`), then
# every 15 seconds on a terminal (30 in a log) which binary is being built,
# how far it is, and the time so far and left (cmd/berth-local/buildprogress).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="${K8S_VERSION:-1.37.2}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
OUT="${ROOT}/bin/k8s/${K8S_VERSION}"
BINS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok metrics-server)

# One build at a time per folder: another invocation (CI's prebuild, see
# .ci/run) waits here, then reuses what that one built.
mkdir -p "${OUT}"
exec 9>"${OUT}/.lock"
if ! flock -n 9; then
	echo "waiting for another build of ${OUT} to finish..." >&2
	flock 9
fi

missing=()
for b in "${BINS[@]}"; do
	[[ -x "${OUT}/${b}" ]] || missing+=("${b}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	echo "${OUT}"
	exit 0
fi

mkdir -p "${OUT}"
tmp="$(mktemp -d "${OUT}/.build.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT

LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=${K8S_VERSION%%.*} -X k8s.io/component-base/version.gitMinor=$(echo "${K8S_VERSION}" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version/verflag.programName=kubernetes"

say() { echo "$*" >&2; }

# plural prints "$1 $2", adding an s to $2 unless $1 is 1.
plural() { if (($1 == 1)); then echo "$1 $2"; else echo "$1 $2s"; fi; }

# elapsed prints the time since the Unix time $1, e.g. "4m10s".
elapsed() {
	local s=$(($(date +%s) - $1))
	if ((s >= 60)); then printf '%dm%ds' $((s / 60)) $((s % 60)); else printf '%ds' "${s}"; fi
}

# module_dir prints the folder of module $1 in the module cache, downloading
# it first: `go install <pkg>@<version>` builds in that module, with its go.mod.
module_dir() {
	local json
	if ! json="$(go mod download -json "$1")"; then
		echo "${json}" >&2 # it holds the "Error"
		return 1
	fi
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"${json}"
}

# stale_packages prints the packages a -trimpath build of binary $1 would
# compile (those not in the build cache), as path@version, one a line.
stale_packages() {
	local dir pkg
	case "$1" in
	etcd) dir="${ROOT}/hack/tools/etcd" pkg=. ;;
	kwok) dir="$(module_dir "sigs.k8s.io/kwok@${KWOK_VERSION}")" pkg=./cmd/kwok ;;
	metrics-server) dir="$(module_dir "sigs.k8s.io/metrics-server@${METRICS_SERVER_VERSION}")" pkg=./cmd/metrics-server ;;
	*) dir="${ROOT}/hack/tools/k8s" pkg="./cmd/$1" ;;
	esac
	if [[ ! -d "${dir}" ]]; then
		echo "no module folder for $1" >&2
		return 1
	fi
	(cd "${dir}" && go list -deps -trimpath -f '{{if .Stale}}{{.ImportPath}}{{with .Module}}@{{.Version}}{{end}}{{end}}' "${pkg}") | sed '/^$/d'
}

# build builds binary $1 into ${tmp}, printing each package it compiles (-v).
build() {
	case "$1" in
	etcd)
		(cd "${ROOT}/hack/tools/etcd" && go build -v -trimpath -ldflags "-s -w" -o "${tmp}/etcd" .)
		;;
	kwok)
		GOBIN="${tmp}" go install -v -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
		;;
	metrics-server)
		GOBIN="${tmp}" go install -v -trimpath -ldflags "-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@${METRICS_SERVER_VERSION}"
		;;
	*)
		(cd "${ROOT}/hack/tools/k8s" && go build -v -trimpath -ldflags "${LDFLAGS}" -o "${tmp}/$1" "./cmd/$1")
		;;
	esac
}

n=${#missing[@]}
started=$(date +%s)
if [[ ${n} -eq ${#BINS[@]} ]]; then
	say "First build of the local Kubernetes binaries (${n} of them; about 20-30 min on 2 cores, once per machine) into ${OUT}"
else
	say "Building the missing local Kubernetes binaries (${missing[*]}) into ${OUT}"
fi

# The progress display is built with -trimpath like the binaries, so that the
# standard library it compiles is reused by their builds.
say "Counting the packages to compile (the first time, this downloads the modules: a minute or two)..."
(cd "${ROOT}" && go build -trimpath -o "${tmp}/buildprogress" ./cmd/berth-local/buildprogress)
for b in "${missing[@]}"; do
	# The count only feeds the progress lines: a listing that fails leaves
	# the build to say what is wrong.
	if ! stale_packages "${b}" >"${tmp}/${b}.packages" 2>"${tmp}/${b}.list.log"; then
		cat "${tmp}/${b}.list.log" >&2
		say "cannot count the packages of ${b} (see above); building it without an estimate"
		: >"${tmp}/${b}.packages"
	fi
done
# A package several binaries share (same path and version) is compiled once,
# by the first binary that needs it.
declare -A planned
total=0
for b in "${missing[@]}"; do planned[${b}]=0; done
while read -r b count; do
	planned[${b}]=${count}
	total=$((total + count))
done < <(cd "${tmp}" && awk '!seen[$0]++ { n[FILENAME]++ } END { for (f in n) { b = f; sub(/\.packages$/, "", b); print b, n[f] } }' "${missing[@]/%/.packages}")
# A terminal gets a progress line every 15 seconds, a log every 30.
interval=30
[[ -t 2 ]] && interval=15
say "$(plural "${total}" package) to compile (counted in $(elapsed "${started}")); every ${interval} seconds, a line says how far it is"

builds_started=$(date +%s)
done_before=0
i=0
for b in "${missing[@]}"; do
	i=$((i + 1))
	b_started=$(date +%s)
	say "building ${b} (${i} of ${n}): $(plural "${planned[${b}]}" package) to compile"
	if ! build "${b}" 2>&1 | "${tmp}/buildprogress" -name "${b}" -index "${i}" -of "${n}" \
		-packages "${planned[${b}]}" -done-before "${done_before}" -total "${total}" \
		-since "${builds_started}" -began "${started}" -interval "${interval}s"; then
		say "building ${b} failed; see the errors above"
		exit 1
	fi
	mv "${tmp}/${b}" "${OUT}/${b}"
	done_before=$((done_before + planned[${b}]))
	say "built ${b} (${i} of ${n}) in $(elapsed "${b_started}"); $(elapsed "${started}") so far"
done
say "Built the local Kubernetes binaries in $(elapsed "${started}"): ${OUT}"
echo "${OUT}"
