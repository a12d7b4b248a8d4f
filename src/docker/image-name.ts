// Docker's reference grammar for a repository (optional registry host[:port], lower-case path
// components), without a tag: shared by the config schema and the image step.
const REPOSITORY =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** True for a repository name Docker accepts (no tag, no digest). */
export function isImageRepository(name: string): boolean {
  return name.length <= 255 && REPOSITORY.test(name);
}
