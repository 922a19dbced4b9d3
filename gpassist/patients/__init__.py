"""Patients, households (poverty registration) and encounters."""
