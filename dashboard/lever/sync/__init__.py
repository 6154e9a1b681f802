"""The sync engine: webhook receiver, inbox, rules, effects and their performers, feedback, tags,
catalog, reconciliation, history and the platform-event subscribers."""
