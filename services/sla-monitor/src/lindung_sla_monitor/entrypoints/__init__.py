"""How the sla-monitor meets the world: the Faust worker."""
