#!/usr/bin/env bash
# The build tier (`make build`): build the tarball, install it the way the README tells users
# to (its requirements.yml snippet for a tarball), render every module's docs from the install,
# check what ansible-builder reads from it and that the EE definition becomes a build context
# (offline), and run Galaxy's importer on it with Automation Hub's settings: any warning fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(cd "${BIN:-.venv/bin}" && pwd)
OUT=$PWD/.tmp/build
IMPORTER=$PWD/.tmp/importer
CFG=$PWD/galaxy-importer.cfg
version=$(sed -n 's/^version: *//p' galaxy.yml)
tarball=directiron-sriov-$version.tar.gz

rm -rf "$OUT" && mkdir -p "$OUT/install"
"$BIN/ansible-galaxy" collection build --force --output-path "$OUT" . >/dev/null
echo "build: $tarball $(stat -c %s "$OUT/$tarball") bytes, $(tar -tzf "$OUT/$tarball" | wc -l) entries"

# The README's requirements.yml for a tarball, exactly as printed there (between the markers).
awk '/<!-- requirements-tarball -->/{f=1; next} /<!-- \/requirements-tarball -->/{f=0} f' README.md \
  | sed '/^```/d' >"$OUT/requirements.yml"
grep -q "$tarball" "$OUT/requirements.yml" \
  || { echo "build: the README's tarball snippet does not name $tarball"; exit 1; }
(cd "$OUT" && ANSIBLE_COLLECTIONS_PATH="$OUT/install" "$BIN/ansible-galaxy" collection install --force -r requirements.yml -p install >/dev/null)
echo "build: installed from the README's requirements.yml"

modules=(plugins/modules/*.py)
for module in "${modules[@]}"; do
    name=$(basename "$module" .py)
    # ansible-doc exits 0 for a module it cannot find: look for the module's own name in its output.
    ANSIBLE_NOCOLOR=1 ANSIBLE_COLLECTIONS_PATH="$OUT/install" "$BIN/ansible-doc" "directiron.sriov.$name" 2>&1 \
        | grep -q "^> MODULE directiron.sriov.$name" || { echo "ansible-doc failed for $name"; exit 1; }
done
echo "build: ansible-doc ok for ${#modules[@]} modules"

# What an execution environment build would add for this collection: the controller side only.
"$BIN/ansible-builder" create -f execution-environment/execution-environment.yml -c "$OUT/ee" --output-filename Containerfile >/dev/null
"$BIN/python" "$OUT/ee/_build/scripts/introspect.py" introspect "$OUT/install" >"$OUT/ee-deps.txt"
if ! grep -q netaddr "$OUT/ee-deps.txt" || ! grep -q openssh-client "$OUT/ee-deps.txt" \
   || grep -Eq 'iproute|ethtool|kmod|libvirt' "$OUT/ee-deps.txt"; then
    echo "build: unexpected EE dependencies:"; cat "$OUT/ee-deps.txt"; exit 1
fi
test -s "$OUT/ee/Containerfile"
echo "build: ansible-builder create ok; EE dependencies: $(grep -E '^ *- ' "$OUT/ee-deps.txt" | tr -s ' ' | tr '\n' ' ')"

# Galaxy's importer, in its own venv (its pins clash with the development venv's).
if [ ! -e "$IMPORTER/.stamp" ] || [ requirements-importer.txt -nt "$IMPORTER/.stamp" ]; then
    rm -rf "$IMPORTER" && "${PYTHON:-python3}" -m venv "$IMPORTER"
    "$IMPORTER/bin/pip" install -q --disable-pip-version-check -r requirements-importer.txt >"$OUT/importer-pip.log" 2>&1 \
        || { cat "$OUT/importer-pip.log"; exit 1; }
    touch "$IMPORTER/.stamp"
fi
import_tarball=$OUT/$tarball
if ! grep -q '^repository:' galaxy.yml; then
    # Galaxy and Hub require a repository link; galaxy.yml carries none until the project has a
    # public one. The importer checks a copy that names this checkout; everything else is as shipped.
    echo "build: galaxy.yml has no repository link: publishing needs one (the importer checks a copy)"
    mkdir -p "$OUT/importer-src" "$OUT/importer"
    tar -xzf "$OUT/$tarball" -C "$OUT/importer-src"
    rm "$OUT/importer-src/MANIFEST.json" "$OUT/importer-src/FILES.json"
    cp galaxy.yml "$OUT/importer-src/"
    echo "repository: file://$PWD" >>"$OUT/importer-src/galaxy.yml"
    "$BIN/ansible-galaxy" collection build --force --output-path "$OUT/importer" "$OUT/importer-src" >/dev/null
    import_tarball=$OUT/importer/$tarball
fi
(cd "$(dirname "$import_tarball")" && PATH="$IMPORTER/bin:$PATH" \
    GALAXY_IMPORTER_CONFIG="$CFG" \
    "$IMPORTER/bin/python" -m galaxy_importer.main "$(basename "$import_tarball")") >"$OUT/importer.log" 2>&1 \
  || { cat "$OUT/importer.log"; echo "build: the importer failed"; exit 1; }
if grep -E '^(WARNING|ERROR)' "$OUT/importer.log"; then
    echo "build: the importer (Automation Hub settings) reported the lines above"; exit 1
fi
echo "build: galaxy-importer $("$IMPORTER/bin/python" -c 'import galaxy_importer; print(galaxy_importer.__version__)') with Automation Hub settings: no warning"
