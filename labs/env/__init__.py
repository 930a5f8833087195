"""The course VM from the host: `python -m labs env up|status|kubeconfig|hubble-ui|reset|destroy`.

Everything here drives `vagrant` (and `kubectl` when the host has it) in the repository; the VM is
described by the Vagrantfile, settings.yaml and versions.lock, provisioned by scripts/provision/.
"""

from labs.env.errors import EnvError

__all__ = ["EnvError"]
