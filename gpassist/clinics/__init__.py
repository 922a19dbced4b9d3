"""The county registry: towns, facilities, departments, drug catalog, service items, formularies."""
