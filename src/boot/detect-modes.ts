// Which services run inside this container, from the configuration alone: the detectModes step
// records it for the boot, and every start's hand-off renders supervisord.conf from it again.
import type { Modes } from '../../machines/boot.ts';
import type { BootConfig } from '../config/types.ts';
import { dockerConfigured } from './runner-context.ts';

/** Why: one definition of the deployment modes, shared by the boot and the warm start. */
export async function detectModes(config: BootConfig): Promise<Modes> {
  return {
    gitea: config.giteaUrl ? 'external' : 'internal',
    chrome: config.chromeCdpUrl ? 'external' : 'internal',
    docker: await dockerConfigured(config),
  };
}
