from tests.prescriptions.helpers import more_drugs  # noqa: F401  (fixture)
