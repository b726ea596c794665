#!/usr/bin/env bash
# Copies the AWS API models Berth generates from and tests against out of an
# installed botocore (the AWS CLI's data package) into models/, with the
# licence, a SHA-256 of every file and a README that says where they came
# from. Usage: hack/update-models.sh [BOTOCORE_DATA_DIR]
#   BOTOCORE_VERSION (default: the pin below) must be the installed version.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${ROOT}/models"
WANT="${BOTOCORE_VERSION:-1.43.11}"

pkg="$(python3 -c 'import botocore, os; print(os.path.dirname(botocore.__file__))' 2>/dev/null || true)"
have="$(python3 -c 'import botocore; print(botocore.__version__)' 2>/dev/null || true)"
DATA="${1:-${pkg:+${pkg}/data}}"
if [[ -z "${DATA}" || ! -d "${DATA}" ]]; then
	echo "update-models: botocore not found (pip show botocore); pass its data folder as the first argument" >&2
	exit 1
fi
if [[ -n "${1:-}" && -z "${BOTOCORE_VERSION:-}" ]]; then
	echo "update-models: with a data folder, say its botocore version: BOTOCORE_VERSION=<version> $0 $1" >&2
	exit 1
fi
if [[ -z "${1:-}" && "${have}" != "${WANT}" ]]; then
	echo "update-models: botocore ${have} is installed, the pin is ${WANT}: install ${WANT}, or run with BOTOCORE_VERSION=${have} to move the pin" >&2
	exit 1
fi
dist="${DATA}/../../botocore-${WANT}.dist-info"
if [[ ! -f "${dist}/LICENSE.txt" || ! -f "${dist}/NOTICE" ]]; then
	echo "update-models: ${dist} (botocore's LICENSE.txt and NOTICE, which ship with its models) not found" >&2
	exit 1
fi

# Written into a new folder and swapped in at the end: a failure leaves
# models/ as it was.
NEW="$(mktemp -d "${ROOT}/.models.XXXXXX")"
trap 'rm -rf "${NEW}"' EXIT

# service folder in botocore's data | API version | files Berth keeps
MODELS=(
	"ecs 2014-11-13 service-2.json waiters-2.json paginators-1.json examples-1.json"
	"application-autoscaling 2016-02-06 service-2.json paginators-1.json"
	"logs 2014-03-28 service-2.json paginators-1.json"
	"cloudwatch 2010-08-01 service-2.json paginators-1.json waiters-2.json"
)

for line in "${MODELS[@]}"; do
	read -r svc version files <<<"${line}"
	mkdir -p "${NEW}/${svc}"
	for f in ${files}; do
		src="${DATA}/${svc}/${version}/${f}"
		if [[ -f "${src}" ]]; then
			cp "${src}" "${NEW}/${svc}/${f}"
		elif [[ -f "${src}.gz" ]]; then
			gzip -dc "${src}.gz" >"${NEW}/${svc}/${f}"
		else
			echo "update-models: ${src} not found" >&2
			exit 1
		fi
	done
done

cp "${dist}/LICENSE.txt" "${dist}/NOTICE" "${ROOT}/models/models_test.go" "${NEW}/"

(cd "${NEW}" && find . -name '*.json' -printf '%P\n' | LC_ALL=C sort | xargs sha256sum >SHA256SUMS)

{
	cat <<MD
# AWS API models

The AWS API models Berth generates its ECS types from and tests against. Written by
\`make update-models\` (\`hack/update-models.sh\`); do not edit by hand.

- **Source:** the Python package botocore ${WANT} (\`botocore/data/<service>/<api-version>/\`),
  \`.json.gz\` files are stored uncompressed.
- **Licence:** Apache License 2.0 ([LICENSE.txt](LICENSE.txt), [NOTICE](NOTICE)), Copyright
  Amazon.com, Inc. or its affiliates.
- **Integrity:** [SHA256SUMS](SHA256SUMS) (\`sha256sum -c SHA256SUMS\`); \`go test ./models\` checks it.

| File | API version | SHA-256 |
|---|---|---|
MD
	for line in "${MODELS[@]}"; do
		read -r svc version files <<<"${line}"
		for f in ${files}; do
			printf '| %s/%s | %s | `%s` |\n' "${svc}" "${f}" "${version}" "$(sha256sum "${NEW}/${svc}/${f}" | cut -d' ' -f1)"
		done
	done
	cat <<MD

Who reads them: \`hack/ecsgen\` (\`make generate\`: ecs/service-2.json → api/v1alpha1/zz_generated.ecs.go);
the schema coverage test (api/v1alpha1), the compatibility table (internal/translate), the
Application Auto Scaling import (internal/importer: aas_model.json is trimmed from
application-autoscaling/service-2.json). logs/ and cloudwatch/ are for the CloudWatch Logs and
metrics APIs.
MD
} >"${NEW}/README.md"
chmod 755 "${NEW}"
rm -rf "${OUT}"
mv "${NEW}" "${OUT}"
echo "models/: botocore ${WANT} from ${DATA}"
