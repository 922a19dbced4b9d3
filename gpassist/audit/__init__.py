"""The audit log: who wrote what, when, to which record."""
