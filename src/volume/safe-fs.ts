// Safe operations on the hostile volume, in one import: gigi-boot runs as root on a data dir
// the unprivileged run user owns, so nothing below it is followed, chowned or copied through a
// link. safe-dir.ts pins directories by descriptor; safe-file.ts works on the files in them.
export * from './safe-dir.ts';
export * from './safe-file.ts';
