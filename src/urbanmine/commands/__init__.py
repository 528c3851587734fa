"""Command-line sub-commands, one module per pillar; ``urbanmine.cli`` registers them."""
