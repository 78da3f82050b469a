"""Authentication: API keys, browser sessions, login and logout."""
