#!/usr/bin/env bash
# Fails when any generated file differs from what hack/update-codegen.sh makes of the current sources.
# It regenerates in a copy of the work tree, so a failed check leaves the tree as it was.
set -o errexit
set -o nounset
set -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
COPY="$(mktemp -d -t cnat-verify-codegen.XXXXXX)"
trap 'rm -rf "${COPY}"' EXIT

# Tracked and untracked-but-not-ignored files: what a commit of the tree would hold.
(cd "${ROOT}" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "${COPY}" 2>/dev/null || true)
# A generated file deleted from the tree is regenerated in the copy, so the diff shows it missing.
"${COPY}/hack/update-codegen.sh" >/dev/null

ret=0
for dir in pkg/apis pkg/admission pkg/generated api; do
    diff -Naupr "${ROOT}/${dir}" "${COPY}/${dir}" || ret=1
done
if [[ ${ret} -ne 0 ]]; then
    echo "generated code is out of date: run hack/update-codegen.sh" >&2
    exit 1
fi
echo "generated code is up to date"
