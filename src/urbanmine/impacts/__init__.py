"""Life-cycle impacts of flowsheet results: factor sets, assessment, closed loop, battery footprint."""
