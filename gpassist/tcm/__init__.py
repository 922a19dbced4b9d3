"""TCM syndrome differentiation (中医辨证): disease and syndrome suggestions from the record."""
