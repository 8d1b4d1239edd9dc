"""Running the model: the command-line interface, and (issue 3) many-run experiments."""
