#!/usr/bin/env bash
# Builds the kube-apiserver of the oldest Kubernetes minor Berth supports
# (K8S_MIN_VERSION, pinned by the module hack/tools/k8s-<major.minor>) into
# bin/k8s/<version>/, next to a link to the etcd of bin/k8s/<K8S_VERSION>/
# (built by hack/build-k8s.sh): envtest needs nothing else. It is built from
# the Go module proxy like the main binaries, with the same version
# ldflags. A folder that already holds both is reused as it is. The folder's
# path is printed on stdout at the end; progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_MIN_VERSION="${K8S_MIN_VERSION:?set by the Makefile (K8S_MIN_VERSION)}"
K8S_VERSION="${K8S_VERSION:-1.37.2}"
MINOR="$(echo "${K8S_MIN_VERSION}" | cut -d. -f1,2)"
MODULE="${ROOT}/hack/tools/k8s-${MINOR}"
OUT="${ROOT}/bin/k8s/${K8S_MIN_VERSION}"
ETCD="${ROOT}/bin/k8s/${K8S_VERSION}/etcd"

say() { echo "$*" >&2; }

# One build at a time per folder: another invocation (CI's prebuild, see
# .ci/run) waits here, then reuses what that one built.
mkdir -p "${OUT}"
exec 9>"${OUT}/.lock"
if ! flock -n 9; then
	say "waiting for another build of ${OUT} to finish..."
	flock 9
fi

if [[ -x "${OUT}/kube-apiserver" && -x "${OUT}/etcd" ]]; then
	echo "${OUT}"
	exit 0
fi
if [[ ! -f "${MODULE}/go.mod" ]]; then
	say "no module ${MODULE} for Kubernetes ${MINOR}"
	exit 1
fi
pinned="$(cd "${MODULE}" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
if [[ "${pinned}" != "v${K8S_MIN_VERSION}" ]]; then
	say "${MODULE} pins k8s.io/kubernetes ${pinned}, not v${K8S_MIN_VERSION}: change K8S_MIN_VERSION or the module"
	exit 1
fi

# etcd is the same for every Kubernetes version envtest runs (the API
# server's storage); a relative link survives moving the work tree.
ln -sfn "../${K8S_VERSION}/etcd" "${OUT}/etcd"

if [[ ! -x "${OUT}/kube-apiserver" ]]; then
	tmp="$(mktemp -d "${OUT}/.build.XXXXXX")"
	trap 'rm -rf "${tmp}"' EXIT
	LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_MIN_VERSION} -X k8s.io/component-base/version.gitMajor=${K8S_MIN_VERSION%%.*} -X k8s.io/component-base/version.gitMinor=$(echo "${K8S_MIN_VERSION}" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version/verflag.programName=kubernetes"
	started=$(date +%s)
	say "building kube-apiserver ${K8S_MIN_VERSION} for the oldest-minor envtest into ${OUT} (about 5-10 min on 2 cores the first time; later builds reuse the Go build cache)"
	(cd "${MODULE}" && go build -trimpath -ldflags "${LDFLAGS}" -o "${tmp}/kube-apiserver" ./cmd/kube-apiserver)
	mv "${tmp}/kube-apiserver" "${OUT}/kube-apiserver"
	s=$(($(date +%s) - started))
	say "built kube-apiserver ${K8S_MIN_VERSION} in $((s / 60))m$(printf '%02d' $((s % 60)))s"
fi
# etcd comes from hack/build-k8s.sh (kube-apiserver is built without it, so
# that CI can build both at once).
if [[ ! -x "${ETCD}" ]]; then
	say "no etcd in ${ETCD%/etcd}: run \`make k8s-bin\` first"
	exit 1
fi
echo "${OUT}"
