#!/usr/bin/env bash
# Builds target/ffmpeg-layer-arm64.zip: a Lambda layer holding /opt/bin/ffmpeg and
# /opt/bin/ffprobe for arm64 (provided.al2023), linked statically so they need nothing from
# the runtime image (whose glibc is older than Debian's).
#
# Made from Debian packages only, so the recipe is reproducible: ffmpeg's Debian source
# package, Debian's aarch64 cross compiler, and Debian's arm64 libx264 (the H.264 encoder)
# and libaom (the AV1 decoder) for static linking. The rest of what media-hub asks of
# ffmpeg is ffmpeg's own code: the H.264, HEVC, VP8, VP9, MPEG-4, AAC, Opus, Vorbis,
# MP3, ALAC and PCM decoders, the
# MP4/MOV, Matroska/WebM demuxers, the MP4 muxer, the scale/transpose/flip/fps filters
# (autorotation), the AAC encoder and PPM (the poster frame).
#
#   sudo scripts/build-ffmpeg-layer.sh            # on Debian bookworm, x86_64 or arm64
#   aws lambda publish-layer-version --layer-name ffmpeg-arm64 \
#     --zip-file fileb://target/ffmpeg-layer-arm64.zip --compatible-architectures arm64
#   sam deploy --parameter-overrides FfmpegLayerArn=arn:aws:lambda:...:layer:ffmpeg-arm64:1
#
# Without the layer, videos end FAILED with CodecUnavailable and their raw file is kept, to
# be processed again once the layer is deployed.
#
# Environment: JOBS (parallel make jobs, default: the number of cores), WORK (build folder,
# default: target/ffmpeg-layer-build).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${WORK:-$ROOT/target/ffmpeg-layer-build}"
OUT="$ROOT/target/ffmpeg-layer-arm64.zip"
JOBS="${JOBS:-$(nproc)}"
TRIPLET=aarch64-linux-gnu

log() { printf '\n== %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { echo "run as root (it installs Debian packages)" >&2; exit 1; }
grep -q bookworm /etc/os-release || echo "warning: written for Debian bookworm" >&2

log "Debian packages: cross compiler, arm64 libx264, ffmpeg's source"
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  dpkg --add-architecture arm64
  CROSS=(crossbuild-essential-arm64)
else
  CROSS=(build-essential)
fi
# ffmpeg's source package needs a deb-src entry; add one for this suite if none is there
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    > /etc/apt/sources.list.d/media-hub-ffmpeg-src.sources
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${CROSS[@]}" nasm pkg-config dpkg-dev zip ca-certificates libx264-dev:arm64 libaom-dev:arm64 >/dev/null

rm -rf "$WORK" && mkdir -p "$WORK/src" "$WORK/layer/bin"
cd "$WORK/src"
apt-get source -qq --download-only ffmpeg >/dev/null
dpkg-source -x --skip-patches ./ffmpeg_*.dsc ffmpeg >/dev/null
cd ffmpeg

log "configure (static, arm64, only what media-hub uses)"
cross=()
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  cross=(--enable-cross-compile --cross-prefix="$TRIPLET-" --arch=aarch64 --target-os=linux)
fi
PKG_CONFIG_LIBDIR="/usr/lib/$TRIPLET/pkgconfig" ./configure \
  "${cross[@]}" \
  --prefix="$WORK/prefix" \
  --pkg-config=pkg-config --pkg-config-flags=--static \
  --extra-cflags="-I/usr/include/$TRIPLET" --extra-ldflags="-static -L/usr/lib/$TRIPLET" \
  --enable-static --disable-shared --enable-gpl --enable-libx264 --enable-libaom \
  --disable-autodetect --disable-debug --disable-doc --disable-network --disable-ffplay \
  --disable-everything \
  --enable-protocol=file,pipe \
  --enable-demuxer=mov,matroska,image2pipe \
  --enable-muxer=mp4,mov,ipod,image2pipe,null \
  --enable-decoder=h264,hevc,vp8,vp9,libaom_av1,mpeg4,aac,aac_latm,opus,vorbis,mp3,alac,pcm_s16le,pcm_s24le,pcm_f32le \
  --enable-parser=h264,hevc,vp8,vp9,av1,mpeg4video,aac,opus,vorbis,mpegaudio \
  --enable-bsf=aac_adtstoasc,h264_mp4toannexb,hevc_mp4toannexb,vp9_superframe_split,extract_extradata \
  --enable-encoder=libx264,aac,ppm \
  --enable-filter=scale,transpose,hflip,vflip,rotate,fps,format,setsar,null,anull,aresample,aformat,copy,crop \
  --enable-swscale --enable-swresample --enable-ffmpeg --enable-ffprobe

log "make -j$JOBS"
make -j"$JOBS" >/dev/null
"${TRIPLET}-strip" ffmpeg ffprobe 2>/dev/null || strip ffmpeg ffprobe
cp ffmpeg ffprobe "$WORK/layer/bin/"
file "$WORK/layer/bin/ffmpeg" | grep -q 'statically linked' \
  || { echo "ffmpeg is not statically linked" >&2; exit 1; }

log "check: the binaries do what media-hub asks of them (under qemu on x86_64)"
run=()
if [ "$(dpkg --print-architecture)" != arm64 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
  run=(qemu-aarch64-static)
fi
BIN="$WORK/layer/bin"
CHECK="$WORK/check" && mkdir -p "$CHECK"
# HEVC probed, re-encoded to H.264 High + AAC with the index in front; VP9 poster frame
# (outputs captured first: a `grep -q` reading a pipe would break it under pipefail)
probe=$("${run[@]}" "$BIN/ffprobe" -v error -print_format json -show_streams "$ROOT/fixtures/media/hevc.mov")
[[ $probe == *'"codec_name": "hevc"'* ]] || { echo "ffprobe does not read HEVC" >&2; exit 1; }
"${run[@]}" "$BIN/ffmpeg" -nostdin -v error -y -i "$ROOT/fixtures/media/hevc.mov" -map 0:V:0 \
  -vf scale=320:240,setsar=1,format=yuv420p -c:v libx264 -preset veryfast -profile:v high -crf 23 \
  -map '0:a:0?' -c:a aac -ac 2 -movflags +faststart -f mp4 "$CHECK/web.mp4"
codecs=$("${run[@]}" "$BIN/ffprobe" -v error -show_entries stream=codec_name -of csv=p=0 "$CHECK/web.mp4")
[[ $codecs == *h264* ]] || { echo "no H.264 rendition: $codecs" >&2; exit 1; }
"${run[@]}" "$BIN/ffmpeg" -nostdin -v error -i "$ROOT/fixtures/media/clip.webm" -map 0:v:0 \
  -frames:v 1 -f image2pipe -c:v ppm - > "$CHECK/poster.ppm"
[[ $(head -c 2 "$CHECK/poster.ppm") == P6 ]] || { echo "no VP9 poster frame" >&2; exit 1; }
echo "checked: HEVC probe, H.264/AAC faststart rendition, VP9 poster frame" >&2

log "zip"
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
(cd "$WORK/layer" && zip -q -r "$OUT" bin)
ls -l "$OUT"
echo "layer: $OUT (bin/ffmpeg and bin/ffprobe, /opt/bin on Lambda's PATH)"
