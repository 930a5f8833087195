#!/usr/bin/env bash
# Seed 003's install and debugging steps, in the order the post gives them, as a trainee copies them into
# a script. Never run it: `labs lint` reads it (nothing is executed) and names each mistake.

# Initialise the cluster
sudo kubeadm init --pod-network-cidr=10.97.0.0/16

# Install Helm
curl https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 | bash

# Deploy Cilium
helm repo add cilium https://helm.cilium.io/
helm install cilium cilium/cilium --namespace kube-system \
  --set kubeProxyReplacement=strict \
  --set hubble.relay.enabled=true \
  --set hubble.ui.enabled=true \
  --set enable-hubble=true

# Install the Hubble CLI
wget https://github.com/cilium/hubble/releases/download/v0.11.6/hubble-linux-amd64.tar.gz
tar -xvf hubble-linux-amd64.tar.gz
sudo mv hubble /usr/local/bin/

# Debugging tips: check the policy enforcement mode, and set it to always "if policies aren't enforced"
kubectl -n kube-system exec -it ds/cilium -- cilium config | grep PolicyEnforcement
kubectl -n kube-system exec -it ds/cilium -- cilium config PolicyEnforcement=always
