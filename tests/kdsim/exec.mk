# kdsim execution: breakpoint APIs, single-stepping emulation, event scripts.
