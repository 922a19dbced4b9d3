"""Demo users and synthetic patients for the demo county (``gpassist seed-demo``).

Everything here is invented: names are drawn from common surnames and given-name characters,
resident IDs use a region code no real county has (341899) with a valid check character. The
seed is fixed, so a second run finds everything in place and changes nothing.

The whole population is planned from the seeded RNG first, then only what is missing is written
(``population.py``). Chronic-disease management is planned the same way (``chronic.py``).
``seed.py`` runs the whole seeding; this package's ``__init__`` imports nothing, so that the
``gpassist`` command can list ``seed-demo`` without loading the planners.
"""
