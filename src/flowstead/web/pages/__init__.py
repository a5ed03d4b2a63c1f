"""The page controllers, one per resource."""
