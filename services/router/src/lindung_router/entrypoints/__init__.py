"""How the router is driven: the Faust worker."""
