// Prints the log events list: `npx tsx src/log/print-events.ts`, then paste it between the
// `<!-- log-events:start -->` and `<!-- log-events:end -->` markers in docs/log-events.md.
import { renderLogEventsReference } from './events-reference.ts';

process.stdout.write(`${renderLogEventsReference()}\n`);
