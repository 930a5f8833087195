"""`-o yaml`, `-o json` and `-o name` as kubectl prints them.

- JSON: cli-runtime `pkg/printers/json.go` (`json.MarshalIndent(obj, "", "    ")` plus a newline). `kubectl
  get` works on unstructured objects, so keys come out sorted (Go marshals maps sorted) and Go escapes `<`,
  `>`, `&` as `\\u003c`, `\\u003e`, `\\u0026`.
- YAML: cli-runtime `pkg/printers/yaml.go` (sigs.k8s.io/yaml: JSON to YAML, keys sorted, sequences not
  indented under their key, strings that would read as another type double-quoted).
- A list (several objects) is printed as `kind: List` with `items` and `metadata.resourceVersion: ""`
  (kubectl get's `printGeneric` / the unstructured list it builds).
- `-o name`: cli-runtime `pkg/printers/name.go` `printObj`: `<kind lower>[.<group>]/<name>`.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

__all__ = ["to_json", "to_yaml", "as_list"]


def to_json(obj: Any) -> str:
    text = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))
    if resolved != "tag:yaml.org,2002:str" or value == "":
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def to_yaml(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=1 << 30)


def as_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
