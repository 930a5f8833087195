"""The verdict timeline: how many flows were forwarded, dropped or denied, over time.

Useful right after applying a policy: the moment the drops start (or stop) is visible at a glance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from labs.flows.classify import FlowOutcome, classify
from labs.viz.inputs import to_flows
from labs.viz.palette import FLOW_OUTCOME_COLORS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["verdict_timeline", "bucket_seconds"]

_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def bucket_seconds(span: float, buckets: int = 40) -> int:
    """A round bucket width (1 s, 2 s, 5 s ... 1 h) giving about `buckets` bars over `span` seconds."""
    for step in _STEPS:
        if span / step <= buckets:
            return step
    return _STEPS[-1]


def verdict_timeline(flows: Iterable[Any], *, title: str = "Flows over time, by verdict",
                     include_replies: bool = False) -> Figure:
    """Stacked bars of flow counts per time bucket, one colour per outcome (flows without a time are left out)."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    timed = [(f.time, f) for f in to_flows(flows) if f.time is not None and (include_replies or not f.is_reply)]
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=100)
    plt.close(fig)
    ax.set_title(title, fontsize=11, loc="left")
    if not timed:
        ax.text(0.5, 0.5, "No timed flows to plot yet: run a probe or widen the time window.", ha="center",
                va="center", fontsize=10, color="#616161", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    start = min(t for t, _ in timed)
    end = max(t for t, _ in timed)
    step = bucket_seconds((end - start).total_seconds())
    origin = start.replace(microsecond=0)
    counts: dict[FlowOutcome, dict[int, int]] = {}
    for time, flow in timed:
        index = int((time - origin).total_seconds() // step)
        per = counts.setdefault(classify(flow), {})
        per[index] = per.get(index, 0) + 1
    last = max(i for per in counts.values() for i in per)
    positions = [origin + timedelta(seconds=step * i) for i in range(last + 1)]
    bottom = [0] * (last + 1)
    bar_width = timedelta(seconds=step * 0.9)
    for outcome in FlowOutcome:
        if outcome not in counts:
            continue
        values = [counts[outcome].get(i, 0) for i in range(last + 1)]
        # matplotlib's unit registry turns the datetimes into date numbers; its stubs only know numbers
        ax.bar(positions, values, width=bar_width, bottom=bottom, align="edge",  # type: ignore[arg-type]
               color=FLOW_OUTCOME_COLORS[outcome], label=f"{outcome.value} ({sum(values)})")
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S", tz=_utc(origin)))
    ax.set_ylabel(f"flows per {step} s", fontsize=9)
    ax.set_xlabel("time (UTC)", fontsize=9)
    locator = ax.yaxis.get_major_locator()
    if isinstance(locator, MaxNLocator):  # the default AutoLocator is one
        locator.set_params(integer=True)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8.5, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.autofmt_xdate(rotation=0, ha="center")
    fig.subplots_adjust(left=0.08, right=0.74, bottom=0.2, top=0.88)
    return fig


def _utc(moment: datetime) -> Any:
    return moment.tzinfo
