#!/usr/bin/env bash
# Run every test tier in order, keep going past a failed tier so one run shows every failure,
# print how long each took, and end with one summary line. Called by `make test`.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

tiers=(unit mutation lab-unit sanity units matrix lint docs-lint docsite changelog-lint build lab-test)
if [ -n "${TIERS:-}" ]; then read -r -a tiers <<<"$TIERS"; fi

passed=0; failed=0; report=()
for tier in "${tiers[@]}"; do
    echo "=== tier: $tier ==="
    start=$(date +%s)
    if make --no-print-directory "$tier"; then
        status=passed; passed=$((passed + 1))
    else
        status=FAILED; failed=$((failed + 1))
    fi
    report+=("$(printf '%-16s %-7s %5ss' "$tier" "$status" "$(( $(date +%s) - start ))")")
done

echo "=== tier summary ==="
printf '%s\n' "${report[@]}"
echo "tiers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
