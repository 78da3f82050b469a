"""Users: the people and service principals the platform manages."""
