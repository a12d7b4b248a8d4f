// Runs gigi-boot's real hand-off (handOffToSupervisor) on the supervisord.conf already rendered
// under GIGI_DATA_DIR, exiting with supervisord's code: what `gigi-boot run` does after a boot.
// Started as a child process by test/aio/supervisord.test.ts, which signals it like Docker would.
import process from 'node:process';
import { createLogger } from '../../src/log/logger.ts';
import { Redactor } from '../../src/log/redactor.ts';
import { handOffToSupervisor } from '../../src/supervisor/hand-off.ts';

const dataDir = process.env.GIGI_DATA_DIR;
if (!dataDir) throw new Error('GIGI_DATA_DIR must name the test volume');
const logger = createLogger({ redactor: new Redactor(), destination: process.stdout });
process.exitCode = await handOffToSupervisor({ config: { dataDir }, logger });
