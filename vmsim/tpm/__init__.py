"""TPM back ends (what executes commands) and TPM 2.0 wire-format helpers."""
