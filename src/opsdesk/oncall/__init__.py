"""On-call schedules: layers, rotations, restrictions and overrides, DST-correct; who is on call when."""
