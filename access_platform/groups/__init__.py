"""Groups: their members (users and nested groups) and their owners."""
