"""County overview for administrators: settlements by payer, consultations, pharmacy orders."""
