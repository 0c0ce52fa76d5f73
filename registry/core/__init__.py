"""Application plumbing shared by every domain: the unit of work and the extension points that
domains register with. Nothing here imports a domain."""
