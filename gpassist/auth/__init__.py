"""Users, roles, clinic scoping, tokens and login."""
