#!/usr/bin/env bash
# The lab's "outside": destinations the labs reach as if they were on the internet, without the internet.
#
# Control plane: a network namespace "outside" joined to the node by a veth pair, holding the addresses of
# outside-hosts (198.51.100.0/24) and running a tiny HTTP server (python3 -m http.server) on ports 80 and 443,
# set up by systemd units so it survives a reboot; CoreDNS answers the lab's outside names with those
# addresses through a `hosts` block in its Corefile, so pods resolve them through kube-dns (and Cilium's DNS
# proxy learns them for toFQDNs) as they would real names. Worker: a route to 198.51.100.0/24 through the
# control plane. Pods reach it masqueraded to their node's address like any traffic leaving the cluster, and
# Cilium sees the destination as world: the addresses are outside the pod, Service and node ranges, and the
# veth is not one of Cilium's devices (a veth without a default route is skipped,
# pkg/datapath/linux/devices_controller.go:662-668 in v1.19.5). Safe to re-run: nothing changes when the
# files are up to date.
set -euo pipefail
# shellcheck source=scripts/provision/lib.sh
. "${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/lib.sh"

require_env CILIUMLAB_NODE_NAME CILIUMLAB_NODE_ROLE CILIUMLAB_CONTROL_PLANE_IP
OUTSIDE_CIDR="198.51.100.0/24"
OUTSIDE_GATEWAY="198.51.100.1"   # the control plane's end of the veth
OUTSIDE_SERVER="198.51.100.2"    # the namespace's own first address
OUTSIDE_PORTS="80 443"           # the ports the labs' outside probes use
HOSTS_FILE="${CILIUMLAB_OUTSIDE_HOSTS:-${CILIUMLAB_PROVISION_DIR:-$(dirname "${BASH_SOURCE[0]}")}/outside-hosts}"
WAIT="${CILIUMLAB_WAIT_TIMEOUT:-10m}"
UNIT_DIR="$ROOT/etc/systemd/system"
BEGIN_MARK="# ciliumlab outside names: begin"
END_MARK="# ciliumlab outside names: end"

# outside_entries: the "ADDRESS NAME..." lines of outside-hosts, checked: every address in OUTSIDE_CIDR.
outside_entries() {
  local address rest
  [ -f "$HOSTS_FILE" ] || die "$HOSTS_FILE not found; it lists the lab's outside names."
  while read -r address rest || [ -n "$address" ]; do
    case "$address" in '' | '#'*) continue ;; esac
    case "$address" in
      198.51.100.[0-9] | 198.51.100.[0-9][0-9] | 198.51.100.[0-9][0-9][0-9]) ;;
      *) die "$HOSTS_FILE: $address is not in $OUTSIDE_CIDR." ;;
    esac
    case "$address" in "$OUTSIDE_GATEWAY" | "$OUTSIDE_SERVER") die "$HOSTS_FILE: $address is reserved for the veth." ;; esac
    [ -n "$rest" ] || die "$HOSTS_FILE: $address has no name."
    printf '%s %s\n' "$address" "$rest"
  done <"$HOSTS_FILE"
}

# net_setup_script: run by ciliumlab-outside.service at boot; idempotent (ip ... replace, existence checks).
net_setup_script() {
  local address
  cat <<SH
#!/bin/sh
# Written by scripts/provision/outside.sh: the lab's outside network namespace (see docs/vm.md).
set -eu
ip netns list | grep -qw outside || ip netns add outside
ip link show ciliumlab-out >/dev/null 2>&1 || ip link add ciliumlab-out type veth peer name eth0 netns outside
ip addr replace $OUTSIDE_GATEWAY/24 dev ciliumlab-out
ip link set ciliumlab-out up
ip -n outside link set lo up
ip -n outside link set eth0 up
ip -n outside addr replace $OUTSIDE_SERVER/24 dev eth0
SH
  outside_entries | while read -r address _; do
    printf 'ip -n outside addr replace %s/24 dev eth0\n' "$address"
  done
  printf 'ip -n outside route replace default via %s\n' "$OUTSIDE_GATEWAY"
}

net_unit() {
  cat <<UNIT
# Written by scripts/provision/outside.sh.
[Unit]
Description=ciliumlab: the lab's outside network namespace ($OUTSIDE_CIDR)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/ciliumlab-outside-net

[Install]
WantedBy=multi-user.target
UNIT
}

http_unit() {
  cat <<UNIT
# Written by scripts/provision/outside.sh: plain HTTP on port %i inside the outside namespace.
[Unit]
Description=ciliumlab: outside HTTP server on port %i
Requires=ciliumlab-outside.service
After=ciliumlab-outside.service

[Service]
ExecStart=/usr/sbin/ip netns exec outside /usr/bin/python3 -m http.server %i --bind 0.0.0.0 --directory /var/lib/ciliumlab/outside-www
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
}

route_unit() {
  cat <<UNIT
# Written by scripts/provision/outside.sh: the lab's outside network is on the control plane.
[Unit]
Description=ciliumlab: route to the lab's outside network ($OUTSIDE_CIDR) through the control plane
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/ip route replace $OUTSIDE_CIDR via $CILIUMLAB_CONTROL_PLANE_IP

[Install]
WantedBy=multi-user.target
UNIT
}

# render_corefile: stdin a Corefile, stdout the same with the outside names' hosts block (replacing an
# earlier one) just before the `forward` plugin, so the names are answered here and everything else
# falls through to the plugins after it. Exit 3 when the Corefile has no `forward` line.
render_corefile() {
  local block
  block="$(
    printf '    %s (scripts/provision/outside.sh)\n' "$BEGIN_MARK"
    printf '    hosts {\n'
    outside_entries | while read -r address names; do printf '        %s %s\n' "$address" "$names"; done
    printf '        ttl 60\n        fallthrough\n    }\n'
    printf '    %s\n' "$END_MARK"
  )"
  awk -v begin="$BEGIN_MARK" -v end="$END_MARK" -v block="$block" '
    index($0, begin) { skip = 1; next }
    index($0, end) { skip = 0; next }
    skip { next }
    /^[ \t]*forward[ \t]/ && !done { print block; done = 1 }
    { print }
    END { if (!done) exit 3 }'
}

setup_control_plane() {
  local changed=0 port
  command -v python3 >/dev/null || die "python3 is needed for the outside HTTP server; install it with 'apt-get install python3'."
  mkdir -p "$ROOT/var/lib/ciliumlab/outside-www"
  printf 'ciliumlab outside server: you reached a destination outside the cluster.\n' |
    write_if_changed "$ROOT/var/lib/ciliumlab/outside-www/index.html" && changed=1
  net_setup_script | write_if_changed "$ROOT/usr/local/sbin/ciliumlab-outside-net" 0755 && changed=1
  net_unit | write_if_changed "$UNIT_DIR/ciliumlab-outside.service" && changed=1
  http_unit | write_if_changed "$UNIT_DIR/ciliumlab-outside-http@.service" && changed=1
  if [ "$changed" = 1 ]; then
    systemctl daemon-reload
    systemctl enable ciliumlab-outside.service >/dev/null 2>&1
    systemctl restart ciliumlab-outside.service
    for port in $OUTSIDE_PORTS; do
      systemctl enable "ciliumlab-outside-http@$port.service" >/dev/null 2>&1
      systemctl restart "ciliumlab-outside-http@$port.service"
    done
    log "outside network $OUTSIDE_CIDR ready (HTTP on ports $OUTSIDE_PORTS)"
  else
    log "outside network already set up"
  fi
}

setup_coredns() {
  local current rendered status=0
  export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
  current="$(kubectl -n kube-system get configmap coredns -o 'jsonpath={.data.Corefile}')" ||
    die "could not read the coredns ConfigMap in kube-system."
  rendered="$(printf '%s\n' "$current" | render_corefile)" || status=$?
  [ "$status" = 0 ] || die "the CoreDNS Corefile has no 'forward' line to put the outside names before; look at 'kubectl -n kube-system get configmap coredns -o yaml'."
  printf '%s\n' "$rendered" | write_if_changed "$CONFIG_DIR/Corefile" || {
    log "CoreDNS already answers the outside names"
    return 0
  }
  kubectl -n kube-system create configmap coredns --from-file=Corefile="$CONFIG_DIR/Corefile" --dry-run=client -o yaml |
    kubectl apply --server-side --force-conflicts --field-manager=ciliumlab -f - >/dev/null
  kubectl -n kube-system rollout restart deployment/coredns >/dev/null
  kubectl -n kube-system rollout status deployment/coredns --timeout="$WAIT" >/dev/null ||
    die "CoreDNS did not restart within $WAIT after the outside names were added; CILIUMLAB_WAIT_TIMEOUT sets the wait."
  log "CoreDNS answers the outside names: $(outside_entries | awk '{printf "%s%s", sep, $2; sep=", "}')"
}

setup_worker() {
  route_unit | write_if_changed "$UNIT_DIR/ciliumlab-outside-route.service" || {
    log "route to the outside network already set up"
    return 0
  }
  systemctl daemon-reload
  systemctl enable ciliumlab-outside-route.service >/dev/null 2>&1
  systemctl restart ciliumlab-outside-route.service
  log "route to $OUTSIDE_CIDR via $CILIUMLAB_CONTROL_PLANE_IP"
}

# Run only when executed, not when sourced (tests source it to call single functions).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  phase_start "outside network"
  outside_entries >/dev/null # check the list here: a `die` inside the pipelines below would only end a subshell
  case "$CILIUMLAB_NODE_ROLE" in
    control-plane) setup_control_plane; setup_coredns ;;
    worker) setup_worker ;;
    *) die "CILIUMLAB_NODE_ROLE must be control-plane or worker, not '$CILIUMLAB_NODE_ROLE'." ;;
  esac
  phase_end
fi
