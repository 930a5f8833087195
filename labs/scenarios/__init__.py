"""Scenarios: set up, try, compare. Used by `labs verify`, the test corpus and lab checks."""

from labs.scenarios.run import ProbeCheck, ScenarioResult, build_sim_cluster, run_scenario
from labs.scenarios.spec import Expectation, Scenario, load_scenario, parse_probe_spec, scenario_from_data

__all__ = ["Expectation", "ProbeCheck", "Scenario", "ScenarioResult", "build_sim_cluster", "load_scenario",
           "parse_probe_spec", "run_scenario", "scenario_from_data"]
