"""The course layer: a lab's steps (lab.yaml), the Lab session notebooks hold, checks and the notebook runner.

Notebooks call `open_lab("02-segregation")` and then one method per cell (`deploy`, `matrix`,
`check`, `hint`, `solution`, `reset`, `flows`, `graph`, `explain`, `editor`, `predict`).
"""

from labs.course.checks import CheckResult, ProbeCheck
from labs.course.session import LAB_LABEL, Lab, open_lab
from labs.course.spec import LabSpec, LabSpecError, StepSpec, lab_ids, load_lab

__all__ = ["open_lab", "Lab", "CheckResult", "ProbeCheck", "LabSpec", "StepSpec", "LabSpecError", "load_lab",
           "lab_ids", "LAB_LABEL"]
