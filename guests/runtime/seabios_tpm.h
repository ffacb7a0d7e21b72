/* seabios_tpm.h - SeaBIOS's TPM hardware driver (SeaBIOS 1.16.1
 * src/hw/tpm_drivers.c: tpmhw_probe, the TIS and CRB drivers, tpmhw_transmit)
 * and the ACPI gate of tpm_setup(), as the firmware stage
 * (firmware/stage/seabios.c) and the probe-seabios guest run them.  The
 * access sequences, widths and timeouts are tabled in
 * firmware/stage/README.md; in short:
 *
 *   sb_acpi_log_area    a TPM2 table (>= 76 bytes) with LASA/LAML non-zero, else
 *                       a TCPA table with a log area; prints the one found.
 *                       -1: SeaBIOS never touches the TPM
 *   sb_tis_probe        poll R4 0x00 b7 (750 ms); R4 0xF00 (not 0, not ~0);
 *                       R4 0x30: type 1 -> no; capFIFO -> W4 0x30=0,
 *                       W4 0x30=0x00080000.  1 = TIS
 *   sb_tis_init         W1 0x08=0
 *   sb_tis_tpm_version  R4 0x30 (type 0xF: R4 0x14); 2 or 1
 *   sb_crb_probe        poll R4 0x00 until (v & 0x90) == 0x80 (30 ms); R4 0x30:
 *                       unless type 0xF, type != 1 and !capCRB -> no, else
 *                       W4 0x30=0x00020000, W4 0x30=0x00080000; R4 0x60 == 0;
 *                       R4 0x68, R4 0x6C: high == 0.  1 = CRB
 *   sb_crb_init         R4 0x5C, 0x58, 0x68, 0x64; -1 when the buffers are
 *                       unusable (the stage's safety check)
 *   sb_use              the driver sb_transmit uses, and its timeout table
 *   sb_setup            tpm_setup() up to the TPM version: sb_acpi_log_area (none:
 *                       "no ACPI TPM2/TCPA table with a log area: SeaBIOS leaves
 *                       the TPM alone", 2), then tpmhw_probe(): sb_tis_probe ->
 *                       sb_use(TIS), "TIS found", sb_tis_init, sb_tis_tpm_version;
 *                       else sb_crb_probe -> sb_use(CRB), "CRB found", sb_crb_init
 *                       (failed: 3), version 2; else "no TPM found", 2.  A TPM
 *                       1.2 prints tpm12_msg and returns 2.  0: a TPM 2.0, its
 *                       driver selected
 *   sb_transmit         tpmhw_transmit: activate, senddata, (TIS: waitdatavalid),
 *                       waitrespready, readresp, ready.  *rsp_len: buffer size
 *                       in, bytes read out.  0, or -1 with *what naming the step
 *
 * All register addresses are absolute (locality l at 0xFED40000 + 0x1000 * l).
 * Every line printed starts with sb_tag (set it first; NULL prints none).
 */
#ifndef GUEST_SEABIOS_TPM_H
#define GUEST_SEABIOS_TPM_H

#include "types.h"

enum sb_duration { SB_DUR_SHORT, SB_DUR_MEDIUM, SB_DUR_LONG };
enum sb_driver { SB_DRV_NONE, SB_DRV_TIS, SB_DRV_CRB };

extern const char *sb_tag;

int sb_acpi_log_area(void);

int sb_tis_probe(void);
void sb_tis_init(void);
int sb_tis_tpm_version(void);

int sb_crb_probe(void);
int sb_crb_init(void);

void sb_use(enum sb_driver d);
enum sb_driver sb_driver(void);

int sb_setup(const char *tpm12_msg);

int sb_transmit(const u8 *cmd, u8 *rsp, u32 *rsp_len, enum sb_duration d, const char **what);

#endif
