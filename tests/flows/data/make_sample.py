"""Writes sample.jsonl: a small lab's worth of Hubble flows in `hubble observe -o jsonpb` form.

The shapes follow the real captures (GetFlowsResponse envelope, proto field names, enum names,
uint64 as strings); the scene is the course's: frontend/client, backend/api, backend/db, kube-dns,
api.github.com. Run `python tests/flows/data/make_sample.py` to regenerate after changing it.
"""

from __future__ import annotations

import json
from pathlib import Path

NODE = "lab-worker-1"
PODS = {
    "frontend/client": ("client-6d8f9b7c4d-x2k9p", 21001, "10.0.1.11", "frontend", {"app": "client"}),
    "backend/api": ("api-5f7b8c9d6b-m4n7q", 31002, "10.0.1.21", "backend", {"app": "api"}),
    "backend/db": ("db-0", 31003, "10.0.1.22", "backend", {"app": "db"}),
    "kube-system/coredns": ("coredns-5d78c9869d-wx4hz", 102, "10.0.0.10", "kube-system", {"k8s-app": "kube-dns"}),
}


def endpoint(key: str) -> dict:
    pod, identity, _ip, namespace, labels = PODS[key]
    return {
        "ID": identity % 4000,
        "identity": identity,
        "namespace": namespace,
        "labels": [f"k8s:{k}={v}" for k, v in labels.items()]
        + [
            "k8s:io.cilium.k8s.policy.cluster=default",
            f"k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name={namespace}",
            f"k8s:io.kubernetes.pod.namespace={namespace}",
        ],
        "pod_name": pod,
        "workloads": [{"name": pod.rsplit("-", 2)[0] if pod.count("-") >= 2 else pod.rsplit("-", 1)[0],
                       "kind": "StatefulSet" if pod == "db-0" else "Deployment"}],
    }


def world(identity: int = 2) -> dict:
    return {"identity": identity, "labels": ["reserved:world"]}


def policy(name: str, namespace: str, kind: str = "CiliumNetworkPolicy") -> dict:
    return {"name": name, "namespace": namespace, "kind": kind, "revision": "7",
            "labels": [f"k8s:io.cilium.k8s.policy.name={name}"]}


def response(second: int, flow: dict) -> dict:
    time = f"2026-05-04T10:00:{second:02d}.{second * 1000003 % 1000000000:09d}Z"
    flow = {"time": time, "uuid": f"6f1c2a3e-0000-4000-8000-{second:012d}", "node_name": NODE, **flow}
    return {"flow": flow, "node_name": NODE, "time": time}


def l4(src: str, dst: str | None, sport: int, dport: int, *, verdict: str, event: tuple[int, int],
       direction: str, protocol: str = "TCP", flags: dict | None = None, dst_ip: str | None = None,
       dst_endpoint: dict | None = None, **more) -> dict:
    body: dict = {"source_port": sport, "destination_port": dport}
    if protocol == "TCP":
        body["flags"] = flags or {"SYN": True}
    return {
        "verdict": verdict,
        "IP": {"source": PODS[src][2], "destination": dst_ip or PODS[dst][2], "ipVersion": "IPv4"},
        "l4": {protocol: body},
        "source": endpoint(src),
        "destination": dst_endpoint or endpoint(dst),
        "Type": "L3_L4",
        "event_type": {"type": event[0], "sub_type": event[1]},
        "traffic_direction": direction,
        "is_reply": False,
        "trace_observation_point": "TO_ENDPOINT" if event[0] == 4 else None,
        **more,
    }


def clean(obj):
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items() if v is not None}
    return obj


def flows() -> list[dict]:
    api_allow = [policy("api-allow-client", "backend")]
    out = [
        # client -> api:8080 allowed by a policy (policy verdict, then the trace) and the reply
        l4("frontend/client", "backend/api", 41000, 8080, verdict="FORWARDED", event=(5, 0), direction="INGRESS",
           ingress_allowed_by=api_allow, policy_match_type=2),
        l4("frontend/client", "backend/api", 41000, 8080, verdict="FORWARDED", event=(4, 0), direction="INGRESS"),
        {**l4("backend/api", "frontend/client", 8080, 41000, verdict="FORWARDED", event=(4, 0), direction="INGRESS",
              flags={"SYN": True, "ACK": True}), "is_reply": True},
        # L7: GET allowed, DELETE denied by the HTTP rule
        {**l4("frontend/client", "backend/api", 41002, 8080, verdict="FORWARDED", event=(129, 0),
              direction="INGRESS"), "Type": "L7", "l4": {"TCP": {"source_port": 41002, "destination_port": 8080}},
         "l7": {"type": "REQUEST", "latency_ns": "0",
                "http": {"method": "GET", "url": "http://api.backend:8080/api/v1/products", "protocol": "HTTP/1.1"}}},
        {**l4("frontend/client", "backend/api", 41003, 8080, verdict="DROPPED", event=(129, 0),
              direction="INGRESS"), "Type": "L7", "l4": {"TCP": {"source_port": 41003, "destination_port": 8080}},
         "l7": {"type": "REQUEST",
                "http": {"method": "DELETE", "url": "http://api.backend:8080/api/v1/products/7",
                         "protocol": "HTTP/1.1"}}},
        # client -> db:5432 dropped by default deny (drop event, code 133)
        l4("frontend/client", "backend/db", 41004, 5432, verdict="DROPPED", event=(1, 133), direction="INGRESS",
           drop_reason=133, drop_reason_desc="POLICY_DENIED", Summary="TCP Flags: SYN"),
        l4("frontend/client", "backend/db", 41004, 5432, verdict="DROPPED", event=(1, 133), direction="INGRESS",
           drop_reason=133, drop_reason_desc="POLICY_DENIED", Summary="TCP Flags: SYN"),
        # api -> db:5432 dropped by an explicit deny rule (policy verdict with denied_by, code 181)
        l4("backend/api", "backend/db", 52000, 5432, verdict="DROPPED", event=(5, 0), direction="INGRESS",
           drop_reason_desc="POLICY_DENY", ingress_denied_by=[policy("db-deny-api", "backend")]),
        # DNS through kube-dns: allowed lookup, refused lookup
        {**l4("frontend/client", "kube-system/coredns", 53001, 53, protocol="UDP", verdict="FORWARDED",
              event=(129, 0), direction="EGRESS"), "Type": "L7",
         "l7": {"type": "REQUEST", "dns": {"query": "api.github.com.", "qtypes": ["A"],
                                           "observation_source": "proxy"}}},
        {**l4("frontend/client", "kube-system/coredns", 53002, 53, protocol="UDP", verdict="DROPPED",
              event=(129, 0), direction="EGRESS"), "Type": "L7",
         "l7": {"type": "REQUEST", "dns": {"query": "evil.example.com.", "qtypes": ["A"], "rcode": 5,
                                           "observation_source": "proxy"}}},
        # egress to an FQDN, allowed by toFQDNs, and to a bare world IP, dropped
        l4("frontend/client", None, 41005, 443, verdict="FORWARDED", event=(5, 0), direction="EGRESS",
           dst_ip="140.82.112.5", dst_endpoint=world(), destination_names=["api.github.com"],
           egress_allowed_by=[policy("client-egress", "frontend")]),
        l4("frontend/client", None, 41006, 443, verdict="DROPPED", event=(1, 133), direction="EGRESS",
           dst_ip="1.1.1.1", dst_endpoint=world(9), drop_reason_desc="POLICY_DENIED"),
        # audit mode: would be dropped, passed
        l4("backend/api", None, 52001, 80, verdict="AUDIT", event=(5, 0), direction="EGRESS",
           dst_ip="93.184.216.34", dst_endpoint=world(), destination_names=["example.com"],
           egress_denied_by=[policy("audit-egress", "", "CiliumClusterwideNetworkPolicy")]),
        # ICMP to the host, allowed regardless of policy
        {**l4("frontend/client", None, 0, 0, verdict="FORWARDED", event=(4, 0), direction="EGRESS",
              dst_ip="192.168.56.11", dst_endpoint={"identity": 1, "labels": ["reserved:host"]}),
         "l4": {"ICMPv4": {"type": 8}}},
    ]
    lines = [response(i, clean(f)) for i, f in enumerate(out)]
    lines.append({"lost_events": {"source": "HUBBLE_RING_BUFFER", "num_events_lost": "3", "cpu": 1}})
    return lines


if __name__ == "__main__":
    target = Path(__file__).with_name("sample.jsonl")
    target.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in flows()), encoding="utf-8")
    print(f"wrote {target}")
