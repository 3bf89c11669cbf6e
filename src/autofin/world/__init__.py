"""The simulated economy: the model, its agent types, the ledger and the obligations."""
