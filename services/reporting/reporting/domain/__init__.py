"""Pure read-model rules and KPI arithmetic: no I/O, no framework imports."""
