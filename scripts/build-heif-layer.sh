#!/usr/bin/env bash
# Builds the arm64 libheif Lambda layer (template.yaml's HeifLayerArn) from Debian's arm64
# packages: libheif1 and every library it needs that the provided.al2023 runtime lacks,
# under lib/ of a zip (a layer is unpacked at /opt, and /opt/lib is on the library path).
# Nothing is compiled and nothing on this machine changes: apt runs with private state
# under a temporary dir, for the arm64 architecture, as an ordinary user.
#
#   scripts/build-heif-layer.sh [OUT.zip]            # default target/layers/libheif-arm64.zip
#   aws lambda publish-layer-version --layer-name libheif-arm64 \
#     --compatible-architectures arm64 --compatible-runtimes provided.al2023 \
#     --zip-file fileb://target/layers/libheif-arm64.zip
#   # its LayerVersionArn is the HeifLayerArn parameter
#
# Needs apt-get, dpkg-deb, readelf, zip and Debian's archive keyring. SUITE (default bookworm: libheif 1.15) and
# MIRROR may be set. The runtime's glibc is 2.34: the script refuses a library that needs a
# newer one, rather than building a layer that fails at run time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${1:-target/layers/libheif-arm64.zip}"
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
max_glibc="2.34"
# present in provided.al2023 (glibc, libgcc); everything else goes into the layer
skip="libc6 libgcc-s1 libcrypt1 gcc-12-base gcc-13-base gcc-14-base"
# AL2023's own libstdc++ (GCC 11: up to GLIBCXX_3.4.29) serves the layer's C++ libraries
# unless BUNDLE_LIBSTDCXX=1 (bookworm's needs GLIBC_2.36, newer than the runtime's)
max_glibcxx="3.4.29"
[ "${BUNDLE_LIBSTDCXX:-0}" = 1 ] || skip="$skip libstdc++6"

for tool in apt-get apt-cache dpkg-deb readelf zip; do
  command -v "$tool" >/dev/null || { echo "build-heif-layer: needs $tool" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{state/lists/partial,cache/archives/partial,etc/preferences.d,etc/apt.conf.d,debs,root}
touch "$work/state/status"
# Debian's archive keys (package debian-archive-keyring; on Ubuntu install it first)
keyring="${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"
test -r "$keyring" || { echo "build-heif-layer: no $keyring (apt-get install debian-archive-keyring, or set KEYRING)" >&2; exit 2; }
echo "deb [arch=arm64 signed-by=$keyring] $mirror $suite main" > "$work/etc/sources.list"
apt_opts=(
  -o "APT::Architecture=arm64" -o "APT::Architectures=arm64"
  -o "Dir::State=$work/state" -o "Dir::State::status=$work/state/status"
  -o "Dir::Cache=$work/cache" -o "Dir::Etc=$work/etc"
  -o "Dir::Etc::SourceList=$work/etc/sources.list" -o "Dir::Etc::SourceParts=-"
  -o "Dir::Etc::Parts=$work/etc/apt.conf.d" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
  -o "Debug::NoLocking=1" -o "APT::Sandbox::User=$(id -un)"
)
echo "build-heif-layer: $suite arm64 package lists" >&2
apt-get "${apt_opts[@]}" -qq update

# libheif1 and its run-time dependencies, minus what the runtime has
mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances libheif1 \
  | grep -v '^ ' | grep -v '^<' | sed 's/:arm64$//' | sort -u)
layer_pkgs=()
for p in "${pkgs[@]}"; do
  case " $skip " in *" $p "*) continue ;; esac
  layer_pkgs+=("$p")
done
echo "build-heif-layer: ${layer_pkgs[*]}" >&2
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${layer_pkgs[@]/%/:arm64}")
for deb in "$work"/debs/*.deb; do
  dpkg-deb -x "$deb" "$work/root"
done

# every shared library, flat under lib/ (symlinks kept)
mkdir -p "$work/layer/lib"
find "$work/root" \( -type f -o -type l \) -name '*.so*' ! -name '*.py' -path '*/lib/*' \
  -exec cp -a -t "$work/layer/lib" {} +
test -e "$work/layer/lib/libheif.so.1" || { echo "build-heif-layer: no libheif.so.1" >&2; exit 1; }

# nothing may need a glibc (or, using the runtime's, a libstdc++) newer than the runtime's
newest() { # PREFIX FILE: the newest version of PREFIX_x.y the file needs
  (readelf -W --version-info "$2" 2>/dev/null || true) | { grep -o "$1_[0-9.]*" || true; } \
    | sed "s/$1_//" | sort -V | tail -1
}
older_or_same() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -1)" = "$2" ]; }
too_new=()
for lib in "$work"/layer/lib/*.so*; do
  [ -L "$lib" ] && continue
  need=$(newest GLIBC "$lib")
  [ -z "$need" ] || older_or_same "$need" "$max_glibc" || too_new+=("$(basename "$lib") needs GLIBC_$need")
  if [ "${BUNDLE_LIBSTDCXX:-0}" != 1 ]; then
    need=$(newest GLIBCXX "$lib")
    [ -z "$need" ] || older_or_same "$need" "$max_glibcxx" || too_new+=("$(basename "$lib") needs GLIBCXX_$need")
  fi
done
if [ "${#too_new[@]}" -gt 0 ]; then
  printf 'build-heif-layer: the runtime has GLIBC_%s and GLIBCXX_%s, but %s\n' \
    "$max_glibc" "$max_glibcxx" "${too_new[*]}" >&2
  exit 1
fi

mkdir -p "$(dirname "$out")"
rm -f "$out"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
(cd "$work/layer" && zip -qry "$out_abs" lib)
echo "build-heif-layer: $out ($(du -h "$out" | cut -f1)): ${layer_pkgs[*]}" >&2
