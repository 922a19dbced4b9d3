"""Instant settlement (一站式结算): the payer chain, bills, ledger, reversal, reconciliation."""
