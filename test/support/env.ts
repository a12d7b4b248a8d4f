// Access to what global-setup prepared.
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests through vitest (global-setup starts Postgres)',
    );
  return url;
}
