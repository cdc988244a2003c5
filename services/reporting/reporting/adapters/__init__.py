"""MongoDB read-model repositories: the only place reporting touches pymongo."""
