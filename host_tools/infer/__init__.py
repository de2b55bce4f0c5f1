"""Run a blob on the host, exactly as the device does."""
