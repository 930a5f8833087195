# shellcheck shell=bash
# Functions shared by the provisioning scripts (common.sh, control-plane.sh, cilium.sh, worker.sh).
#
# Everything that touches the file system goes below "$ROOT" (empty inside the VM; a temporary
# directory in tests), so the scripts' logic can be run with stubbed commands on any machine.
# Versions come from versions.lock, parsed here and never sourced.

ROOT="${CILIUMLAB_ROOT:-}"
STATE_DIR="$ROOT/var/lib/ciliumlab"
# shellcheck disable=SC2034 # used by the scripts that source this file
CONFIG_DIR="$ROOT/etc/ciliumlab"
CACHE_DIR="${CILIUMLAB_CACHE_DIR:-$ROOT/var/cache/ciliumlab}"
VERSIONS_FILE="${CILIUMLAB_VERSIONS_FILE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/versions.lock}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[ciliumlab] %s\n' "$*"; }
warn() { printf '[ciliumlab] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[ciliumlab] ERROR: %s\n' "$*" >&2
  exit 1
}

# require_env NAME...: stop with the names of settings the Vagrantfile should have passed.
require_env() {
  local name missing=()
  for name in "$@"; do
    [ -n "${!name:-}" ] || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing environment: ${missing[*]}; run this through 'vagrant provision', which sets them from settings.yaml."
}

# lock_get KEY: print KEY's value from versions.lock (may be empty); stop if the key is absent.
lock_get() {
  local key="$1" line found=0 value=""
  [ -f "$VERSIONS_FILE" ] || die "versions file $VERSIONS_FILE not found."
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      "$key="*)
        found=1
        value="${line#"$key="}"
        value="${value%$'\r'}" # a checkout with Windows line endings
        ;;
    esac
  done <"$VERSIONS_FILE"
  [ "$found" = 1 ] || die "$VERSIONS_FILE has no key $key; add a line '$key=...'."
  case "$value" in
    *[[:space:]\"\'\$\`\;]*) die "$VERSIONS_FILE: $key=$value contains spaces, quotes or shell characters." ;;
  esac
  printf '%s\n' "$value"
}

# lock_require KEY: like lock_get, but an empty value is an error.
lock_require() {
  local value
  value="$(lock_get "$1")"
  [ -n "$value" ] || die "$VERSIONS_FILE: $1 is empty; it needs a value."
  printf '%s\n' "$value"
}

# asset_arch [MACHINE]: the release-asset architecture for `uname -m` (or MACHINE).
asset_arch() {
  local machine="${1:-$(uname -m)}"
  case "$machine" in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "unsupported CPU architecture '$machine'; the course VM runs on x86_64 (amd64) or aarch64 (arm64)." ;;
  esac
}

# lock_checksum NAME ARCH: the pinned sha256 for NAME (e.g. CONTAINERD) on ARCH, or empty.
lock_checksum() {
  local upper
  upper="$(printf '%s' "$2" | tr '[:lower:]' '[:upper:]')"
  lock_get "${1}_SHA256_${upper}"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# published_checksum SUMFILE ASSET: the sha256 listed for ASSET in a published checksum file
# (either "<sum>  <name>" lines or a bare sum).
published_checksum() {
  local sumfile="$1" asset="$2" sum name
  while read -r sum name; do
    name="${name#\*}"
    if [ -z "$name" ] || [ "$name" = "$asset" ] || [ "${name##*/}" = "$asset" ]; then
      printf '%s\n' "$sum"
      return 0
    fi
  done <"$sumfile"
  return 1
}

# download URL DEST: fetch over HTTPS into DEST (through a temporary file, never piped to a shell).
download() {
  local url="$1" dest="$2"
  case "$url" in https://*) ;; *) die "refusing to download $url: only https:// URLs are allowed." ;; esac
  mkdir -p "$(dirname "$dest")"
  curl -fsSL --retry 3 --connect-timeout 20 -o "$dest.part" "$url" || {
    rm -f "$dest.part"
    die "download of $url failed; check the network or proxy settings and run 'vagrant provision' again."
  }
  mv "$dest.part" "$dest"
}

# fetch_verified URL SUM_URL PINNED: print the path of a cached, verified copy of URL.
# The file is kept in $CACHE_DIR/downloads and reused while it still matches. It must match the
# published checksum (SUM_URL) and, when PINNED is not empty, the sha256 pinned in versions.lock;
# otherwise it is deleted and provisioning stops before anything is installed.
fetch_verified() {
  local url="$1" sum_url="$2" pinned="$3" asset dir file published actual
  asset="${url##*/}"
  dir="$CACHE_DIR/downloads"
  file="$dir/$asset"
  mkdir -p "$dir"
  if [ -f "$file" ] && [ -n "$pinned" ] && [ "$(sha256_of "$file")" = "$pinned" ]; then
    log "using cached $asset (matches versions.lock)" >&2
    printf '%s\n' "$file"
    return 0
  fi
  if [ -f "$file" ] && [ -f "$file.sha256" ] && [ -z "$pinned" ] && [ "$(sha256_of "$file")" = "$(cat "$file.sha256")" ]; then
    log "using cached $asset (matches its published checksum)" >&2
    printf '%s\n' "$file"
    return 0
  fi
  rm -f "$file" "$file.sha256"
  log "downloading $url" >&2
  download "$sum_url" "$file.published"
  published="$(published_checksum "$file.published" "$asset")" || {
    rm -f "$file.published"
    die "the checksum file $sum_url does not list $asset."
  }
  rm -f "$file.published"
  if [ -n "$pinned" ] && [ "$published" != "$pinned" ]; then
    die "checksum mismatch for $asset: versions.lock pins $pinned but $sum_url publishes $published. Nothing was installed; check versions.lock."
  fi
  download "$url" "$file"
  actual="$(sha256_of "$file")"
  if [ "$actual" != "$published" ]; then
    rm -f "$file"
    die "checksum mismatch for $asset: expected $published, downloaded file has $actual. Nothing was installed; the download was deleted, run 'vagrant provision' to retry."
  fi
  printf '%s\n' "$actual" >"$file.sha256"
  [ -n "$pinned" ] || log "versions.lock has no checksum for $asset; to pin it add: $actual" >&2
  printf '%s\n' "$file"
}

# write_if_changed DEST [MODE]: replace DEST with stdin only when the content differs.
# Returns 0 when the file changed, 1 when it was already up to date (callers restart on 0).
write_if_changed() {
  local dest="$1" mode="${2:-0644}" tmp
  mkdir -p "$(dirname "$dest")"
  tmp="$(mktemp "$dest.XXXXXX")"
  cat >"$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"
    return 1
  fi
  chmod "$mode" "$tmp"
  mv "$tmp" "$dest"
  log "wrote ${dest#"$ROOT"}"
  return 0
}

# stamp_matches NAME VALUE / stamp_set NAME VALUE: remember what was installed, to skip it next time.
stamp_matches() { [ -f "$STATE_DIR/stamps/$1" ] && [ "$(cat "$STATE_DIR/stamps/$1")" = "$2" ]; }
stamp_set() {
  mkdir -p "$STATE_DIR/stamps"
  printf '%s\n' "$2" >"$STATE_DIR/stamps/$1"
}

# find_node_ip EXPECTED: check that EXPECTED is configured on some interface, found by address (the
# interface may be eth1, enp0s8, ens6...), and print it. `ip -o -4 addr show` lines look like
# "3: eth1    inet 192.168.56.10/24 brd 192.168.56.255 scope global eth1 ...".
find_node_ip() {
  local expected="$1" iface family cidr seen=()
  while read -r _ iface family cidr _; do
    [ "$family" = inet ] || continue
    seen+=("${cidr%/*} on ${iface%:}")
    if [ "${cidr%/*}" = "$expected" ]; then
      log "node address $expected found on interface ${iface%:}" >&2
      printf '%s\n' "$expected"
      return 0
    fi
  done < <(ip -o -4 addr show)
  die "the private-network address $expected is not configured on this VM (found: ${seen[*]:-none}). Check network.control_plane_ip in settings.yaml and that the provider created the private network."
}

# Phase timing: `phase_start NAME` ... `phase_end`; summary() prints what this run took.
PHASE_NAME=""
PHASE_T0=0
phase_start() {
  PHASE_NAME="$1"
  PHASE_T0="$(date +%s)"
  log "==> $PHASE_NAME"
}
phase_end() {
  local took=$(($(date +%s) - PHASE_T0))
  mkdir -p "$STATE_DIR"
  printf '%s\t%s\t%s\n' "${CILIUMLAB_NODE_NAME:-node}" "$PHASE_NAME" "$took" >>"$STATE_DIR/timings.tsv"
  log "<== $PHASE_NAME done in ${took}s"
}

# proxy_env: export the proxy settings for curl, apt and crictl in this script.
proxy_env() {
  if [ -n "${CILIUMLAB_HTTP_PROXY:-}" ]; then export http_proxy="$CILIUMLAB_HTTP_PROXY" HTTP_PROXY="$CILIUMLAB_HTTP_PROXY"; fi
  if [ -n "${CILIUMLAB_HTTPS_PROXY:-}" ]; then export https_proxy="$CILIUMLAB_HTTPS_PROXY" HTTPS_PROXY="$CILIUMLAB_HTTPS_PROXY"; fi
  if [ -n "${CILIUMLAB_NO_PROXY:-}" ]; then export no_proxy="$CILIUMLAB_NO_PROXY" NO_PROXY="$CILIUMLAB_NO_PROXY"; fi
}
