#!/usr/bin/env bash
# Builds the pinned local control-plane binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok, metrics-server) from the Go
# module proxy into a versioned folder, bin/k8s/<version>/. A folder that
# already holds every binary is reused as it is; only missing ones are built.
# Nothing is downloaded from release pages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S_VERSION="${K8S_VERSION:-1.37.2}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"
METRICS_SERVER_VERSION="${METRICS_SERVER_VERSION:-v0.8.0}"
OUT="${ROOT}/bin/k8s/${K8S_VERSION}"
BINS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok metrics-server)

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

for b in "${missing[@]}"; do
	echo ">> building ${b} into ${OUT}" >&2
	case "${b}" in
	etcd)
		(cd "${ROOT}/hack/tools/etcd" && go build -trimpath -ldflags "-s -w" -o "${tmp}/etcd" .)
		;;
	kwok)
		GOBIN="${tmp}" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"
		;;
	metrics-server)
		GOBIN="${tmp}" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/metrics-server/cmd/metrics-server@${METRICS_SERVER_VERSION}"
		;;
	*)
		(cd "${ROOT}/hack/tools/k8s" && go build -trimpath -ldflags "${LDFLAGS}" -o "${tmp}/${b}" "./cmd/${b}")
		;;
	esac
	mv "${tmp}/${b}" "${OUT}/${b}"
done
echo "${OUT}"
