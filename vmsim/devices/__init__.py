"""Device models: each one owns an address window or ports and knows nothing of the CPU."""
