// The config module's public surface: load and validate the environment once, at startup.
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from './load-config.ts';
export { secretValuesOf, type BootConfig, type Deadlines, type RetryPolicy } from './types.ts';
export * from './gitea-names.ts';
