# shellcheck shell=bash
# Container images: pre-pulled once, then cached as per-architecture archives in
# $CACHE_DIR/images (on the synced folder), verified and imported on the next `vagrant up`, so a
# destroy-and-up with a warm cache pulls nothing it already has. Sourced after lib.sh.

# image_cache_file REF ARCH: the archive name for REF (digest when pinned, else name and tag).
image_cache_file() {
  local ref="$1" arch="$2" key
  case "$ref" in
    *@sha256:*) key="${ref##*@sha256:}" ;;
    *) key="$(printf '%s' "$ref" | tr '/:@' '___')" ;;
  esac
  printf '%s/images/%s-%s.tar\n' "$CACHE_DIR" "$key" "$arch"
}

# pull_ref REF: the reference handed to the runtime; for name:tag@digest it is name@digest, the form
# the kubelet resolves the chart's images to.
pull_ref() {
  local ref="$1"
  case "$ref" in
    *@sha256:*)
      local name="${ref%@*}"
      case "${name##*/}" in *:*) name="${name%:*}" ;; esac
      printf '%s@%s\n' "$name" "${ref##*@}"
      ;;
    *) printf '%s\n' "$ref" ;;
  esac
}

# ensure_image REF ARCH: make REF present in containerd's k8s.io namespace, from the cache when a
# verified archive exists, else from the registry (then saved to the cache).
ensure_image() {
  local ref arch="$2" tar
  ref="$(pull_ref "$1")"
  if crictl inspecti "$ref" >/dev/null 2>&1; then
    return 0
  fi
  tar="$(image_cache_file "$1" "$arch")"
  if [ -f "$tar" ] && [ -f "$tar.sha256" ]; then
    if [ "$(sha256_of "$tar")" = "$(cat "$tar.sha256")" ]; then
      log "importing $ref from the cache"
      if ctr -n k8s.io images import --platform "linux/$arch" "$tar" >/dev/null && crictl inspecti "$ref" >/dev/null 2>&1; then
        return 0
      fi
      warn "the cached archive $tar did not provide $ref; pulling it instead."
    else
      warn "the cached archive $tar is damaged (checksum differs); pulling $ref instead."
    fi
    rm -f "$tar" "$tar.sha256"
  fi
  log "pulling $ref"
  crictl pull "$ref" >/dev/null || die "could not pull $ref; check the network or proxy settings and run 'vagrant provision' again."
  mkdir -p "$(dirname "$tar")"
  if ctr -n k8s.io images export --platform "linux/$arch" "$tar.part" "$ref" >/dev/null 2>&1; then
    mv "$tar.part" "$tar"
    sha256_of "$tar" >"$tar.sha256"
  else
    rm -f "$tar.part"
    warn "could not save $ref to the cache; the next 'vagrant up' will pull it again."
  fi
}

# cilium_images: the chart's image references from versions.lock, checked against CILIUM_VERSION.
cilium_images() {
  local version key ref
  version="$(lock_require CILIUM_VERSION)"
  for key in CILIUM_IMAGE_AGENT CILIUM_IMAGE_OPERATOR CILIUM_IMAGE_HUBBLE_RELAY; do
    ref="$(lock_require "$key")"
    case "$ref" in
      *":v$version@sha256:"*) ;;
      *) die "versions.lock: $key=$ref does not match CILIUM_VERSION=$version; copy the image digests from the chart's values.yaml of that version." ;;
    esac
  done
  for key in CILIUM_IMAGE_AGENT CILIUM_IMAGE_OPERATOR CILIUM_IMAGE_ENVOY CILIUM_IMAGE_HUBBLE_RELAY \
    CILIUM_IMAGE_HUBBLE_UI CILIUM_IMAGE_HUBBLE_UI_BACKEND; do
    lock_require "$key"
  done
}
