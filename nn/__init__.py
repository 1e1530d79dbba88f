"""Neural networks on chaingrad's engine: modules, layers, losses, training and the CLI."""
