"""Can a notebook call `labs.doctor()` directly, as notebook 00 shows?"""

import labs.doctor
from labs.doctor import DoctorReport


def test_labs_doctor_is_callable_and_returns_a_report():
    report = labs.doctor(cluster=False)
    assert isinstance(report, DoctorReport)
    assert str(report).strip()
