# x64 unwinding from .pdata/.xdata, and kdsim call chains through real images.
