"""Build, convert and measure the network."""
