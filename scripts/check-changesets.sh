#!/usr/bin/env bash
# Every package changed since the last release must have a pending changeset. Before the first release
# (no CHANGELOG.md yet) "since" is the repository's first commit; afterwards, the latest release tag.
set -euo pipefail
since=$(git describe --tags --abbrev=0 --match '@lm-stack/*' 2>/dev/null || git rev-list --max-parents=0 HEAD | tail -n 1)
pnpm exec changeset status --since="$since"
