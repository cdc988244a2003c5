"""MongoDB repositories: the only place routing uses pymongo."""
