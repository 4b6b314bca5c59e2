"""What every ConvoScope service shares: message types, names, config, bus, logs, metrics."""
