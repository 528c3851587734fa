"""One scenario file for the whole closed loop (docs/scenario.md): the pillars' own sections
(``[fleet]``, ``[network]``) composed with the run's (routes and their alternatives, economics,
compliance, uncertainty). This package only composes; each pillar validates its own section."""
