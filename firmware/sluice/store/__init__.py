# Persistence: the power-cut-safe key-value store on flash, and process state in it.
