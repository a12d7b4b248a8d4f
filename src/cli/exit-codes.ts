// Exit codes are part of the interface: the container entrypoint, scripts and CI read them.
// Documented in README.md ("Exit codes"); a test keeps the two in sync.
export const EXIT = {
  /** run: boot completed (or already done); inspect: the last boot completed. */
  ok: 0,
  /** run: the boot failed (inspect shows the step and what to do); inspect: the last boot failed. */
  failed: 1,
  /** Bad configuration or arguments: nothing was written. */
  config: 2,
  /** inspect: a boot is in progress (or was interrupted and will resume). */
  inProgress: 3,
  /** run: gave up waiting for another boot of this volume to release the lock (GIGI_BOOT_LOCK_TIMEOUT). */
  lockTimeout: 4,
  /** inspect: this volume has never booted. */
  noBoot: 5,
  /** inspect --follow --timeout: the time ran out before the boot ended (it may still be running). */
  followTimeout: 6,
  /** run: stopped by SIGTERM/SIGINT; the next boot resumes from the last checkpoint (128 + 15). */
  interrupted: 143,
  /** A bug in gigi-boot: printed with a stack. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
