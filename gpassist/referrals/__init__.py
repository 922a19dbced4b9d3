"""Referrals to county specialists, from follow-ups and consultations, and their outcomes."""
