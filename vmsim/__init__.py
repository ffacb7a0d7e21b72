"""vmsim: guest-visible virtual TPM hardware without a hypervisor.

Unicorn runs real x86 guest drivers; their MMIO and port accesses land on Python device
models; the TPM device models forward commands to a real TPM (swtpm).
"""

__version__ = "0.1.0"
