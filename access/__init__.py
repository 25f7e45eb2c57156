"""Who may do what: the role matrix and token resolution, shared by the API and the workers'
metrics endpoints (no HTTP here)."""
