"""Central and clinic stock, central-pharmacy orders, the dispatch board and delivery runs."""
