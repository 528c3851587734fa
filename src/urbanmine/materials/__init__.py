"""Foundation: species, elements, compositions, chemistries, bills of materials and feeds."""
