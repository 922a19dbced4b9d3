"""Prescriptions (处方): the prescribing rules; the split between clinic and central pharmacy."""
