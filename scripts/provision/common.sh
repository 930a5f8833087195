#!/usr/bin/env bash
# Every node: swap off for good, kernel modules and sysctls, proxy settings, containerd and runc at
# the versions in versions.lock (SystemdCgroup, kubeadm's sandbox image), kubelet/kubeadm/kubectl
# from pkgs.k8s.io at the locked patch (held), and the images the node will run, from the cache.
# Safe to re-run: each step checks what is already there and changes only what differs.
set -euo pipefail
# shellcheck source=scripts/provision/lib.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/lib.sh"
# shellcheck source=scripts/provision/images.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/images.sh"

require_env CILIUMLAB_NODE_NAME CILIUMLAB_NODE_ROLE CILIUMLAB_NODE_IP
proxy_env
mkdir -p "$STATE_DIR"
: >"$STATE_DIR/timings.tsv"
ARCH="$(asset_arch)"
K8S_VERSION="$(lock_require KUBERNETES_VERSION)"
K8S_MINOR="${K8S_VERSION%.*}"
K8S_PACKAGE="$K8S_VERSION-$(lock_require KUBERNETES_PACKAGE_REVISION)"

setup_system() {
  find_node_ip "$CILIUMLAB_NODE_IP" >/dev/null
  # Swap: off now and commented out of fstab, so it stays off after a reboot.
  if [ -n "$(swapon --show --noheadings 2>/dev/null || true)" ]; then
    swapoff -a
    log "swap turned off"
  fi
  if [ -f "$ROOT/etc/fstab" ]; then
    sed -E 's@^([^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$@# \1  # disabled by ciliumlab@' \
      "$ROOT/etc/fstab" | write_if_changed "$ROOT/etc/fstab" 0644 || true
  fi
  printf 'overlay\nbr_netfilter\n' | write_if_changed "$ROOT/etc/modules-load.d/ciliumlab.conf" || true
  local module
  for module in overlay br_netfilter; do
    [ -d "$ROOT/sys/module/$module" ] || modprobe "$module"
  done
  if printf '%s\n' 'net.ipv4.ip_forward = 1' 'net.bridge.bridge-nf-call-iptables = 1' \
    'net.bridge.bridge-nf-call-ip6tables = 1' | write_if_changed "$ROOT/etc/sysctl.d/99-ciliumlab.conf"; then
    sysctl --system >/dev/null
  fi
  setup_proxy
}

# Proxy settings for apt and containerd; removed again when settings.yaml no longer has a proxy.
setup_proxy() {
  local apt_conf="$ROOT/etc/apt/apt.conf.d/95ciliumlab-proxy"
  local unit_conf="$ROOT/etc/systemd/system/containerd.service.d/ciliumlab-proxy.conf"
  if [ -n "${CILIUMLAB_HTTP_PROXY:-}${CILIUMLAB_HTTPS_PROXY:-}" ]; then
    {
      [ -z "${CILIUMLAB_HTTP_PROXY:-}" ] || printf 'Acquire::http::Proxy "%s";\n' "$CILIUMLAB_HTTP_PROXY"
      [ -z "${CILIUMLAB_HTTPS_PROXY:-}" ] || printf 'Acquire::https::Proxy "%s";\n' "$CILIUMLAB_HTTPS_PROXY"
    } | write_if_changed "$apt_conf" || true
    if printf '[Service]\nEnvironment="HTTP_PROXY=%s" "HTTPS_PROXY=%s" "NO_PROXY=%s"\n' \
      "${CILIUMLAB_HTTP_PROXY:-}" "${CILIUMLAB_HTTPS_PROXY:-}" "${CILIUMLAB_NO_PROXY:-}" | write_if_changed "$unit_conf"; then
      touch "$STATE_DIR/containerd-restart-needed"
    fi
  else
    rm -f "$apt_conf"
    if [ -f "$unit_conf" ]; then
      rm -f "$unit_conf"
      touch "$STATE_DIR/containerd-restart-needed"
    fi
  fi
}

# containerd and runc from their release archives, both verified before either is installed.
install_containerd() {
  local version runc_version archive runc_binary
  version="$(lock_require CONTAINERD_VERSION)"
  runc_version="$(lock_require RUNC_VERSION)"
  if stamp_matches containerd "$version-$runc_version-$ARCH" && [ -x "$ROOT/usr/local/bin/containerd" ] && [ -x "$ROOT/usr/local/sbin/runc" ]; then
    log "containerd $version and runc $runc_version already installed"
    return 0
  fi
  local base="https://github.com/containerd/containerd/releases/download/v$version/containerd-$version-linux-$ARCH.tar.gz"
  local runc_url="https://github.com/opencontainers/runc/releases/download/v$runc_version/runc.$ARCH"
  archive="$(fetch_verified "$base" "$base.sha256sum" "$(lock_checksum CONTAINERD "$ARCH")")"
  runc_binary="$(fetch_verified "$runc_url" "https://github.com/opencontainers/runc/releases/download/v$runc_version/runc.sha256sum" "$(lock_checksum RUNC "$ARCH")")"
  mkdir -p "$ROOT/usr/local" "$ROOT/usr/local/sbin"
  tar -xzf "$archive" -C "$ROOT/usr/local"
  install -m 0755 "$runc_binary" "$ROOT/usr/local/sbin/runc"
  stamp_set containerd "$version-$runc_version-$ARCH"
  touch "$STATE_DIR/containerd-restart-needed"
  log "installed containerd $version and runc $runc_version ($ARCH)"
}

write_containerd_unit() {
  if write_if_changed "$ROOT/etc/systemd/system/containerd.service" <<'UNIT'; then
# containerd, installed from the release archive by ciliumlab (scripts/provision/common.sh).
[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target local-fs.target

[Service]
ExecStartPre=-/sbin/modprobe overlay
ExecStart=/usr/local/bin/containerd
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
UNIT
    touch "$STATE_DIR/containerd-restart-needed"
  fi
}

# apt_key_state FILE FINGERPRINT: "ok", "wrong" (another fingerprint) or "expired:YYYY-MM-DD" (the primary
# key's expiry, field 7 of gpg's `pub` record, has passed: apt would refuse the repository's signatures).
apt_key_state() {
  local listing expires
  listing="$(gpg --show-keys --with-colons "$1" 2>/dev/null || true)"
  grep -q "^fpr:::::::::$2:" <<<"$listing" || { echo wrong; return 0; }
  expires="$(awk -F: '$1 == "pub" { print $7; exit }' <<<"$listing")"
  if [ -n "$expires" ] && [ "$expires" -le "$(date +%s)" ]; then
    echo "expired:$(date -u -d "@$expires" +%F 2>/dev/null || echo "$expires")"
  else
    echo ok
  fi
}

# kubelet, kubeadm and kubectl from the per-minor pkgs.k8s.io repository, after checking its key (fingerprint
# pinned in versions.lock, not expired; an expired cached or installed copy is fetched again).
install_kubernetes_packages() {
  local keyring="$ROOT/etc/apt/keyrings/kubernetes-apt-keyring.gpg" fingerprint key_file state repo_changed=1
  fingerprint="$(lock_require KUBERNETES_APT_KEY_FINGERPRINT)"
  if ! stamp_matches apt-key "$fingerprint" || [ ! -f "$keyring" ] ||
    [ "$(apt_key_state "$keyring" "$fingerprint")" != ok ]; then
    key_file="$CACHE_DIR/downloads/kubernetes-v$K8S_MINOR-Release.key"
    if [ -f "$key_file" ] && [ "$(apt_key_state "$key_file" "$fingerprint")" = ok ]; then
      log "using cached pkgs.k8s.io signing key"
    else
      download "https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/Release.key" "$key_file"
    fi
    state="$(apt_key_state "$key_file" "$fingerprint")"
    if [ "$state" = wrong ]; then
      rm -f "$key_file"
      die "the pkgs.k8s.io signing key does not have the fingerprint $fingerprint pinned in versions.lock; nothing was installed."
    elif [ "$state" != ok ]; then
      rm -f "$key_file"
      die "the pkgs.k8s.io signing key (fingerprint $fingerprint) expired on ${state#expired:}, even as downloaded just now; nothing was installed. If pkgs.k8s.io has rotated its key, put the new fingerprint in versions.lock (KUBERNETES_APT_KEY_FINGERPRINT)."
    fi
    mkdir -p "$(dirname "$keyring")"
    gpg --dearmor --yes -o "$keyring" "$key_file"
    chmod 0644 "$keyring"
    stamp_set apt-key "$fingerprint"
  fi
  echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$K8S_MINOR/deb/ /" |
    write_if_changed "$ROOT/etc/apt/sources.list.d/kubernetes.list" || repo_changed=0
  local package wanted=()
  for package in kubelet kubeadm kubectl; do
    [ "$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || true)" = "$K8S_PACKAGE" ] || wanted+=("$package=$K8S_PACKAGE")
  done
  for package in cri-tools conntrack socat; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || wanted+=("$package")
  done
  if [ ${#wanted[@]} -eq 0 ]; then
    log "kubelet, kubeadm and kubectl $K8S_PACKAGE already installed"
    return 0
  fi
  [ "$repo_changed" = 0 ] && [ ! -f "$STATE_DIR/apt-updated" ] && repo_changed=1
  if [ "$repo_changed" = 1 ]; then
    apt-get update -qq
    touch "$STATE_DIR/apt-updated"
  fi
  apt-get install -y -qq --allow-change-held-packages --no-install-recommends "${wanted[@]}"
  apt-mark hold kubelet kubeadm kubectl >/dev/null
  log "installed ${wanted[*]}"
}

# containerd's default configuration with the two settings kubeadm needs.
configure_containerd() {
  local sandbox config
  sandbox="$(kubeadm config images list --kubernetes-version "v$K8S_VERSION" 2>/dev/null | grep '/pause:' | head -n1)" ||
    die "kubeadm did not list a pause image for v$K8S_VERSION."
  config="$("$ROOT/usr/local/bin/containerd" config default |
    sed -E -e 's/SystemdCgroup = false/SystemdCgroup = true/' \
      -e "s#^([[:space:]]*sandbox(_image)? = ).*#\\1'$sandbox'#")"
  grep -q 'SystemdCgroup = true' <<<"$config" || die "containerd's default configuration has no SystemdCgroup setting to enable; this containerd version is not supported."
  grep -q "'$sandbox'" <<<"$config" || die "containerd's default configuration has no sandbox image setting; this containerd version is not supported."
  if printf '%s\n' "$config" | write_if_changed "$ROOT/etc/containerd/config.toml"; then
    touch "$STATE_DIR/containerd-restart-needed"
  fi
  printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 30\n' |
    write_if_changed "$ROOT/etc/crictl.yaml" || true
  if [ -f "$STATE_DIR/containerd-restart-needed" ]; then
    systemctl daemon-reload
    systemctl enable containerd >/dev/null 2>&1
    systemctl restart containerd
    rm -f "$STATE_DIR/containerd-restart-needed"
    log "containerd (re)started with sandbox image $sandbox"
  fi
  systemctl is-enabled --quiet kubelet || systemctl enable kubelet >/dev/null 2>&1
}

pre_pull_images() {
  local refs=() ref
  if [ "$CILIUMLAB_NODE_ROLE" = control-plane ]; then
    while IFS= read -r ref; do
      case "$ref" in */kube-proxy:*) ;; *) refs+=("$ref") ;; esac
    done < <(kubeadm config images list --kubernetes-version "v$K8S_VERSION")
  else
    refs+=("$(kubeadm config images list --kubernetes-version "v$K8S_VERSION" | grep '/pause:' | head -n1)")
  fi
  while IFS= read -r ref; do refs+=("$ref"); done < <(cilium_images)
  for ref in "${refs[@]}"; do
    ensure_image "$ref" "$ARCH"
  done
  log "${#refs[@]} images present"
}

phase_start "system settings"; setup_system; phase_end
phase_start "containerd and runc"; install_containerd; write_containerd_unit; phase_end
phase_start "Kubernetes packages $K8S_PACKAGE"; install_kubernetes_packages; phase_end
phase_start "containerd configuration"; configure_containerd; phase_end
phase_start "images"; pre_pull_images; phase_end
