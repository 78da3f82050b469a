"""``$batch``: Microsoft Graph style JSON batching of user lifecycle requests."""
