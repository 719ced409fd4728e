"""Model identity, the registry of known models, and resolution of model references."""
