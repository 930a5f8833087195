"""Flows built when something reads them, so that a run of 40,000 probes does not build 100,000 flows.

`labs verify` and the matrix only need verdicts; `hubble observe`, `lab.flows()` and explain need the
flows. A `PendingFlows` keeps what one attempt's flows are made of: the verdict, the endpoints, and a
snapshot, taken at probe time, of everything the flow builder would have read from the cluster then
(identities, endpoint IDs, nodes, workloads, the time), so the flows built later are those the
attempt would have produced at once, whatever happens to the cluster in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from labs.cluster.sim.hubble import FlowContext
from labs.policy.endpoints import Endpoint

__all__ = ["PendingFlows", "frozen_context"]

Flow = dict[str, Any]


class PendingFlows(Sequence[Flow]):
    """A read-only sequence of flows, built once on first use."""

    __slots__ = ("_build", "_flows")

    def __init__(self, build: Callable[[], list[Flow]]):
        self._build: Callable[[], list[Flow]] | None = build
        self._flows: tuple[Flow, ...] | None = None

    def built(self) -> tuple[Flow, ...]:
        if self._flows is None:
            assert self._build is not None
            self._flows = tuple(self._build())
            self._build = None
        return self._flows

    def __len__(self) -> int:
        return len(self.built())

    @overload
    def __getitem__(self, index: int) -> Flow: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Flow, ...]: ...
    def __getitem__(self, index: int | slice) -> Flow | tuple[Flow, ...]:
        return self.built()[index]

    def __iter__(self) -> Iterator[Flow]:
        return iter(self.built())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PendingFlows):
            other = other.built()
        return self.built() == other if isinstance(other, tuple) else NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.built())

    def __reduce__(self) -> tuple[type, tuple[tuple[Flow, ...]]]:
        """Pickled and copied as the plain tuple of its flows (the builder is a closure)."""
        return tuple, (self.built(),)


def frozen_context(ctx: FlowContext, endpoints: Sequence[Endpoint], now: datetime) -> FlowContext:
    """`ctx` with the answers for `endpoints` read now, in their order, and a clock stopped at `now`.

    Identities are read first for each endpoint in turn, the order the flow builder reads them
    (source, then destination), so new identity numbers are handed out as before.
    """
    facts = [(ep, ctx.identity_of(ep), ctx.endpoint_id_of(ep), ctx.node_of(ep), ctx.workload_of(ep))
             for ep in endpoints]

    def fact(ep: Endpoint) -> tuple[Endpoint, int, int | None, str, dict[str, str] | None]:
        for item in facts:
            if item[0] is ep:
                return item
        raise KeyError(ep.name)  # the builder only asks about the attempt's own endpoints

    return FlowContext(identity_of=lambda ep: fact(ep)[1], endpoint_id_of=lambda ep: fact(ep)[2],
                       node_of=lambda ep: fact(ep)[3], workload_of=lambda ep: fact(ep)[4],
                       policy_labels=ctx.policy_labels, now=lambda: now)
