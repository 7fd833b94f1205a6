#!/usr/bin/env bash
# The matrix tier (`make matrix`): the ansible-core minors other than the venv's 2.19 that
# meta/runtime.yml's requires_ansible claims (2.20, 2.21), each in its own venv (.tmp/matrix/<version>) with the newest Python
# that minor supports as a controller: the unit tests (pytest) and ansible-test sanity.
# ansible-core 2.19 is covered by the unit, sanity and units tiers themselves.
# Usage: matrix.sh AC_COPY PYBIN "2.20.10:3.12 2.21.5:3.13" "SANITY ARGS"
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ac_copy=$1 pybin=$2 matrix=$3 sanity_args=$4
root=$PWD
results=() failed=0

run_timed() {  # run_timed LABEL LOG COMMAND...: run, record "passed/FAILED in N s"
    local label=$1 log=$2; shift 2
    local start=$SECONDS
    if "$@" >"$log" 2>&1; then status=passed; else status=FAILED; failed=1; tail -30 "$log"; fi
    echo "matrix: $label $status in $((SECONDS - start)) s (log: ${log#"$root"/})"
    results+=("$(printf '%-26s %-7s %5ss  %s' "$label" "$status" "$((SECONDS - start))" "$(grep -Ev '^($|WARNING)' "$log" | tail -1 | cut -c1-70)")")
}

# shellcheck disable=SC2317  # called through run_timed
run_sanity() (  # run_sanity AC_COPY PYBIN VENV PYTHON [ARGS...]: ansible-test sanity in the copy
    copy_dir=$1 python_bin=$2 venv_dir=$3 version=$4; shift 4
    cd "$copy_dir" && rm -rf tests/output \
      && PATH="$python_bin:$PATH" "$venv_dir/bin/ansible-test" sanity --venv --color no --python "$version" "$@"
)

for entry in $matrix; do
    core=${entry%%:*} python=${entry##*:}
    venv=$root/.tmp/matrix/$core
    interpreter=$pybin/python$python
    if [ ! -x "$interpreter" ]; then
        echo "matrix: ansible-core $core: no python$python on this machine, skipped"
        results+=("$(printf '%-26s skipped: no python%s' "ansible-core $core" "$python")"); failed=1; continue
    fi
    if [ ! -e "$venv/.stamp" ] || [ requirements-dev.txt -nt "$venv/.stamp" ]; then
        mapfile -t test_deps < <(grep -E '^(pytest|pytest-xdist|netaddr)==' requirements-dev.txt)
        rm -rf "$venv"
        if ! { "$interpreter" -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
                 "ansible-core==$core" "${test_deps[@]}" >"$venv.pip.log" 2>&1; }; then
            cat "$venv.pip.log"; echo "matrix: ansible-core $core: venv install failed"; failed=1; continue
        fi
        touch "$venv/.stamp"
    fi
    # ansible-test bootstraps pip in its sanity venvs with the pip version it pins.
    pip_pin=$("$venv/bin/python" - <<'PY'
import re, ansible_test._internal.python_requirements as pr, inspect
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr.get_venv_packages)).group(1))
PY
)
    "$venv/bin/python" tests/utils/write_get_pip_cache.py "$pip_pin" >/dev/null

    run_timed "$core py$python unit" "$root/.tmp/matrix/$core-unit.log" \
        env PYTHONPATH="$root/.cache/collections" "$venv/bin/python" -m pytest -q -n 2 -p no:cacheprovider tests/unit
    read -r -a sanity_argv <<<"$sanity_args"
    run_timed "$core py$python sanity" "$root/.tmp/matrix/$core-sanity.log" \
        run_sanity "$ac_copy" "$pybin" "$venv" "$python" "${sanity_argv[@]}"
done

echo "=== matrix (ansible-core 2.19 runs in the unit, sanity and units tiers) ==="
printf '%s\n' "${results[@]}"
exit $failed
