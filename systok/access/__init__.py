"""Who may call the API: API keys (create, list, revoke, authenticate) and their scopes."""
