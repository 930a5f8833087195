"""Certificates and keys of one local cluster: one CA, serving and client certificates, the ServiceAccount key.

Every identity is a client certificate signed by the cluster's CA: the admin is in system:masters, the
controller manager and the scheduler use the user names the default RBAC roles are bound to. Private
keys are written mode 0600; nothing here leaves the cluster's state directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Identity", "IDENTITIES", "write_pki", "write_node_pki", "node_identities", "SERVICE_IP"]

SERVICE_IP = "10.96.0.1"
"""The first address of the service range: the `kubernetes` Service, named in the serving certificate."""

VALID_FOR = datetime.timedelta(days=30)

SERVER_NAMES_DEFAULT = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                        "kubernetes.default.svc.cluster.local")


@dataclass(frozen=True)
class Identity:
    name: str
    """File stem under pki/."""
    common_name: str
    organizations: tuple[str, ...] = ()
    server: bool = False
    client: bool = False
    dns_names: tuple[str, ...] = SERVER_NAMES_DEFAULT
    ip_addresses: tuple[str, ...] = ()


IDENTITIES = (
    Identity("etcd-server", "etcd", server=True, client=True),
    Identity("apiserver-etcd-client", "kube-apiserver-etcd-client", client=True),
    Identity("apiserver", "kube-apiserver", server=True),
    Identity("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",), client=True),
    Identity("admin", "ciliumlab-admin", ("system:masters",), client=True),
    Identity("controller-manager", "system:kube-controller-manager", client=True),
    Identity("scheduler", "system:kube-scheduler", client=True),
)

SERVER_IPS = ("127.0.0.1", SERVICE_IP)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_private(path: Path, key) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, public_key, now: datetime.datetime) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALID_FOR))


def write_pki(directory: Path) -> None:
    """Create ca.{crt,key}, <identity>.{crt,key} for IDENTITIES, and sa.{key,pub}."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = _key()
    ca_name = _name("ciliumlab-local-cluster-ca")
    ca = (_builder(ca_name, ca_name, ca_key.public_key(), now)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    _write_private(directory / "ca.key", ca_key)
    _write_cert(directory / "ca.crt", ca)
    for ident in IDENTITIES:
        _issue(directory, ident, ca_key, ca_name, now)
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private(directory / "sa.key", sa_key)
    (directory / "sa.pub").write_bytes(sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _issue(directory: Path, ident: Identity, ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name,
           now: datetime.datetime) -> None:
    """<ident.name>.{crt,key} signed by the CA; servers name `dns_names` and `ip_addresses` (else the API
    server's names and addresses)."""
    key = _key()
    usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if ident.server else []) + (
        [ExtendedKeyUsageOID.CLIENT_AUTH] if ident.client else [])
    builder = (_builder(_name(ident.common_name, ident.organizations), ca_name, key.public_key(), now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_cert_sign=False,
                                            content_commitment=False, data_encipherment=False,
                                            key_agreement=False, crl_sign=False, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if ident.server:
        ips = ident.ip_addresses or SERVER_IPS
        alt = [x509.DNSName(n) for n in ident.dns_names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    _write_private(directory / f"{ident.name}.key", key)
    _write_cert(directory / f"{ident.name}.crt", builder.sign(ca_key, hashes.SHA256()))


def node_identities(node_name: str, node_ip: str) -> tuple[Identity, ...]:
    """The node's identities: the kubelet as `system:node:<name>` (what the Node authorizer and the
    NodeRestriction admission plugin recognise), its serving certificate (the API server checks it when it
    execs), kube-proxy as `system:kube-proxy` (bound by the default `system:node-proxier` binding), and
    CoreDNS (bound by the local cluster to a role of its own)."""
    return (
        Identity("kubelet", f"system:node:{node_name}", ("system:nodes",), client=True),
        Identity("kubelet-serving", f"system:node:{node_name}", ("system:nodes",), server=True,
                 dns_names=(node_name,), ip_addresses=(node_ip,)),
        Identity("kube-proxy", "system:kube-proxy", client=True),
        Identity("coredns", "ciliumlab:coredns", client=True),
    )


def write_node_pki(directory: Path, node_name: str, node_ip: str) -> None:
    """Issue the node's certificates with the cluster's CA (written by `write_pki`), once."""
    idents = node_identities(node_name, node_ip)
    if all((directory / f"{i.name}.crt").exists() for i in idents):
        return
    ca_key = serialization.load_pem_private_key((directory / "ca.key").read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / 'ca.key'} is not the EC key this tool writes")
    ca_name = x509.load_pem_x509_certificate((directory / "ca.crt").read_bytes()).subject
    now = datetime.datetime.now(datetime.timezone.utc)
    for ident in idents:
        _issue(directory, ident, ca_key, ca_name, now)
