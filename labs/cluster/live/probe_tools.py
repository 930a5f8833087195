"""Which container of a source pod runs a probe, and whether its image ships the tools the probe needs.

A probe is one `sh -c` script (`labs.cluster.live.commands`): HTTP and TCP need curl or wget, DNS dig
or nslookup, ICMP ping, and all of them `sh`. An image without a shell (distroless, `FROM scratch`,
such as hashicorp/http-echo) can serve but never probe, so the course's pods that send probes carry
a client container; the test over every lab.yaml holds them to it.
"""

from __future__ import annotations

from typing import Any

from labs.probes import Probe

__all__ = ["IMAGE_TOOLS", "image_repository", "image_tools", "needed_tools", "missing_tools", "probe_container",
           "PROBE_CONTAINER_ANNOTATION", "DEFAULT_CONTAINER_ANNOTATION"]

PROBE_CONTAINER_ANNOTATION = "ciliumlab.io/probe-container"
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

_BUSYBOX = frozenset({"sh", "wget", "nslookup", "ping"})
IMAGE_TOOLS: dict[str, frozenset[str]] = {
    "curlimages/curl": _BUSYBOX | {"curl"},  # Alpine: BusyBox applets plus curl
    "busybox": _BUSYBOX,
    "nicolaka/netshoot": _BUSYBOX | {"curl", "dig"},
    "hashicorp/http-echo": frozenset(),  # one static binary, no shell
}
"""Tools of the images the course uses, by repository (registry host and `library/` dropped)."""


def image_repository(image: str) -> str:
    """`docker.io/library/busybox:1.36.1@sha256:...` -> `busybox`."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[:1] == ["library"]:
        parts = parts[1:]
    return "/".join(parts)


def image_tools(image: str | None) -> frozenset[str] | None:
    """The tools an image ships, or None when the course does not know the image."""
    return IMAGE_TOOLS.get(image_repository(image)) if image else None


def needed_tools(probe: Probe) -> tuple[frozenset[str], ...]:
    """Each entry is a set of alternatives, one of which must be present."""
    if probe.target is None:
        return frozenset({"sh"}), frozenset({"dig", "nslookup"})
    if probe.protocol.upper() == "ICMP":
        return frozenset({"sh"}), frozenset({"ping"})
    return frozenset({"sh"}), frozenset({"curl", "wget"})


def missing_tools(image: str | None, probe: Probe) -> str | None:
    """None when the image can run the probe; else a phrase naming what is missing (or that it is unknown)."""
    tools = image_tools(image)
    if tools is None:
        return f"the image {image!r} is not one whose tools the course knows"
    lacking = [" or ".join(sorted(need)) for need in needed_tools(probe) if not need & tools]
    return f"the image {image} has no {', no '.join(lacking)}" if lacking else None


def probe_container(pod: dict[str, Any]) -> str | None:
    """The container a probe runs in: the `ciliumlab.io/probe-container` annotation, else the first container
    whose image is known to ship a shell (the default-container annotation's first), else the first container."""
    meta = pod.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    if annotations.get(PROBE_CONTAINER_ANNOTATION):
        return str(annotations[PROBE_CONTAINER_ANNOTATION])
    containers = [c for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name")]
    preferred = annotations.get(DEFAULT_CONTAINER_ANNOTATION)
    ordered = sorted(containers, key=lambda c: c.get("name") != preferred)
    for container in ordered:
        if "sh" in (image_tools(container.get("image")) or ()):
            return str(container["name"])
    return str(containers[0]["name"]) if containers else None
