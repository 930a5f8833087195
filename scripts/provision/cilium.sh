#!/usr/bin/env bash
# Control plane, after kubeadm init: the cilium and hubble CLIs for this VM's architecture (verified
# against their published sha256 and versions.lock), Cilium at the locked version with kube-proxy
# replacement, Kubernetes IPAM on the pod CIDR, one operator replica, Hubble relay and UI and the L7
# proxy; then `cilium status --wait` and a summary. Safe to re-run: an installed Cilium with the same
# version and values is left alone, otherwise it is upgraded in place.
set -euo pipefail
# shellcheck source=scripts/provision/lib.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/lib.sh"

require_env CILIUMLAB_NODE_NAME CILIUMLAB_CONTROL_PLANE_IP CILIUMLAB_POD_CIDR
proxy_env
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
ARCH="$(asset_arch)"
CILIUM_VERSION="$(lock_require CILIUM_VERSION)"
WAIT="${CILIUMLAB_WAIT_TIMEOUT:-10m}"

# install_cli NAME VERSION URL LOCK_PREFIX: one binary from a verified release archive.
install_cli() {
  local name="$1" version="$2" url="$3" prefix="$4" archive tmp
  if stamp_matches "$name-cli" "$version-$ARCH" && [ -x "$ROOT/usr/local/bin/$name" ]; then
    log "$name CLI v$version already installed"
    return 0
  fi
  archive="$(fetch_verified "$url" "$url.sha256sum" "$(lock_checksum "$prefix" "$ARCH")")"
  tmp="$(mktemp -d)"
  tar -xzf "$archive" -C "$tmp" "$name" || {
    rm -rf "$tmp"
    die "$archive does not contain the $name binary."
  }
  mkdir -p "$ROOT/usr/local/bin"
  install -m 0755 "$tmp/$name" "$ROOT/usr/local/bin/$name"
  rm -rf "$tmp"
  stamp_set "$name-cli" "$version-$ARCH"
  log "installed $name CLI v$version ($ARCH)"
}

# Helm values; every choice here is explained in docs/vm.md. Relay and UI tolerate the control-plane
# taint: VirtualBox, VMware and Parallels bring machines up one at a time, so when this runs the workers
# do not exist yet and `cilium status --wait` would wait for pods that cannot be scheduled (the chart
# gives them no toleration: install/kubernetes/cilium/templates/hubble-relay/deployment.yaml uses
# .Values.hubble.relay.tolerations, default []).
cilium_values() {
  cat <<YAML
# Written by scripts/provision/cilium.sh from settings.yaml; edit settings.yaml, not this file.
kubeProxyReplacement: true
k8sServiceHost: $CILIUMLAB_CONTROL_PLANE_IP
k8sServicePort: 6443
ipam:
  mode: kubernetes
k8s:
  requireIPv4PodCIDR: true
l7Proxy: true
operator:
  replicas: 1
hubble:
  enabled: true
  relay:
    enabled: true
    tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
  ui:
    enabled: true
    tolerations:
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
rollOutCiliumPods: true
YAML
}

install_cilium() {
  local values="$CONFIG_DIR/cilium-values.yaml" changed=0 image
  cilium_values | write_if_changed "$values" && changed=1
  image="$(kubectl -n kube-system get daemonset cilium -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null || true)"
  case "$image" in *":v$CILIUM_VERSION" | *":v$CILIUM_VERSION@"*) ;; ?*) changed=1 ;; esac
  if [ -z "$image" ]; then
    cilium install --version "$CILIUM_VERSION" --values "$values"
  elif [ "$changed" = 1 ]; then
    log "Cilium is installed ($image); upgrading to $CILIUM_VERSION with the current values"
    cilium upgrade --version "$CILIUM_VERSION" --values "$values"
  else
    log "Cilium $CILIUM_VERSION already installed with these values"
  fi
  cilium status --wait --wait-duration "$WAIT" >/dev/null ||
    die "Cilium did not become ready within $WAIT. Look at 'cilium status' and 'kubectl -n kube-system get pods' in the VM ('vagrant ssh control-plane'); CILIUMLAB_WAIT_TIMEOUT sets the wait."
  log "Cilium is ready"
}

summary() {
  local line
  cat <<TEXT

================================ ciliumlab cluster ================================
Versions:  Kubernetes $(lock_get KUBERNETES_VERSION), containerd $(lock_get CONTAINERD_VERSION), runc $(lock_get RUNC_VERSION),
           Cilium $CILIUM_VERSION (cilium CLI v$(lock_get CILIUM_CLI_VERSION), hubble CLI v$(lock_get HUBBLE_VERSION)),
           box $(lock_get BOX_NAME) $(lock_get BOX_VERSION)
Nodes:
TEXT
  kubectl get nodes -o custom-columns='  NAME:.metadata.name,ADDRESS:.status.addresses[?(@.type=="InternalIP")].address,READY:.status.conditions[?(@.type=="Ready")].status' 2>/dev/null || true
  cat <<TEXT
Workers (if any) join next; 'python -m labs env status' shows them all.

Kubeconfig:  .kube/config in the repository (cluster-admin, mode 0600)
Hubble UI:   python -m labs env hubble-ui     then open http://127.0.0.1:12000
Hubble CLI:  vagrant ssh control-plane -c 'hubble observe -P --last 20'
The course:  scripts/start-course
Phases on this node (seconds):
TEXT
  while IFS= read -r line; do printf '  %s\n' "$line"; done <"$STATE_DIR/timings.tsv"
  echo "==================================================================================="
}

phase_start "cilium and hubble CLIs"
CILIUM_CLI_VERSION="$(lock_require CILIUM_CLI_VERSION)"
HUBBLE_VERSION="$(lock_require HUBBLE_VERSION)"
install_cli cilium "$CILIUM_CLI_VERSION" \
  "https://github.com/cilium/cilium-cli/releases/download/v$CILIUM_CLI_VERSION/cilium-linux-$ARCH.tar.gz" CILIUM_CLI
install_cli hubble "$HUBBLE_VERSION" \
  "https://github.com/cilium/hubble/releases/download/v$HUBBLE_VERSION/hubble-linux-$ARCH.tar.gz" HUBBLE
phase_end
phase_start "Cilium $CILIUM_VERSION"; install_cilium; phase_end
summary
