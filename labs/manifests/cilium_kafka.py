"""Kafka rules (`toPorts[].rules.kafka`), which Cilium 1.19 still accepts (deprecated; removed in 1.20).

The checks are the CRD schema's (role enum, topic maxLength 255) and the agent's sanitizer, cilium/proxy
`pkg/policy/api/kafka/kafka.go`, `(*PortRule).Sanitize`, called for each rule by Cilium 1.19
`pkg/policy/api/rule_validation.go:498-505` (`L7Rules.sanitize`): role and apiKey exclusive, apiKey one of
Kafka's API key names (case-insensitive), apiVersion a number 0-32767, topic of letters, digits, '.', '_',
'-' (and '\\', which the agent's character class also lets through).
"""

from __future__ import annotations

import json
import re

from labs.manifests.errors import shown
from labs.manifests.fields import Field
from labs.policy.model import KafkaRule

__all__ = ["parse_kafka_rule", "KAFKA_API_KEYS", "KAFKA_ROLES"]

KAFKA_ROLES = ("produce", "consume")
KAFKA_API_KEYS = (
    "produce", "fetch", "offsets", "metadata", "leaderandisr", "stopreplica", "updatemetadata",
    "controlledshutdown", "offsetcommit", "offsetfetch", "findcoordinator", "joingroup", "heartbeat",
    "leavegroup", "syncgroup", "describegroups", "listgroups", "saslhandshake", "apiversions", "createtopics",
    "deletetopics", "deleterecords", "initproducerid", "offsetforleaderepoch", "addpartitionstotxn",
    "addoffsetstotxn", "endtxn", "writetxnmarkers", "txnoffsetcommit", "describeacls", "createacls",
    "deleteacls", "describeconfigs", "alterconfigs",
)
"""`APIKeyMap` of cilium/proxy `pkg/policy/api/kafka/kafka.go` (API keys 0-33)."""
_TOPIC = re.compile(r"[a-zA-Z0-9\\._-]+")
_MAX_TOPIC = 255


def parse_kafka_rule(node: Field, index: int) -> KafkaRule | None:
    """One `kafka` list item, or None after recording the problems."""
    fields = node.mapping(("role", "apiKey", "apiVersion", "clientID", "topic"), what="a Kafka rule")
    if fields is None:
        return None
    count = len(node.ctx.problems)
    values = {key: child.string() for key, child in fields.items()}
    role, api_key = values.get("role"), values.get("apiKey") or None
    if role and api_key:
        node.refused_by_agent(  # cilium/proxy kafka.go PortRule.Sanitize
            f"A Kafka rule takes 'role' or 'apiKey', not both (role {shown(role)}, apiKey {shown(api_key)}); a role "
            "already stands for its API keys.", f"cannot set both Role {_go_quote(role)} and APIKey "
                                                f"{_go_quote(api_key)} together")
    if role is not None and role not in KAFKA_ROLES:  # the CRD's enum: case-sensitive, "" refused
        fields["role"].problem(f"Unknown Kafka role {shown(role)}; expected 'produce' or 'consume' (lower case).")
    if api_key is not None and api_key.lower() not in KAFKA_API_KEYS:
        fields["apiKey"].refused_by_agent(  # cilium/proxy kafka.go PortRule.Sanitize (APIKeyMap)
            f"Unknown Kafka apiKey {shown(api_key)}; expected a Kafka API name such as produce, fetch, metadata or "
            "createtopics.", f"invalid Kafka APIKey {_go_quote(api_key)}")
    version = values.get("apiVersion") or None
    if version is not None and not (re.fullmatch(r"[+-]?\d+", version) and 0 <= int(version) <= 32767):
        fields["apiVersion"].problem(f"Kafka apiVersion {shown(version)} is not a number from 0 to 32767.")
    topic = values.get("topic") or None
    if topic is not None and len(topic) > _MAX_TOPIC:
        fields["topic"].problem(f"A Kafka topic has at most {_MAX_TOPIC} characters; this one has {len(topic)}.")
    elif topic is not None and not _TOPIC.fullmatch(topic):
        fields["topic"].refused_by_agent(  # cilium/proxy kafka.go PortRule.Sanitize (TopicValidChar)
            f"{shown(topic)} is not a valid Kafka topic: only letters, digits, '.', '_' and '-' are allowed.",
            f"invalid Kafka Topic name {_go_quote(topic)}")
    if len(node.ctx.problems) != count:
        return None
    return KafkaRule(role=role or None, api_key=api_key, api_version=version, client_id=values.get("clientID") or None,
                     topic=topic, index=index)


def _go_quote(text: str) -> str:
    """Go's %q for the plain text of a policy field (JSON's string quoting agrees with it there)."""
    return json.dumps(text, ensure_ascii=False)
