// The documented list of log events (docs/log-events.md), rendered from LOG_EVENTS so the
// documentation cannot drift from what the code logs. Regenerate: npx tsx src/log/print-events.ts
import { LOG_EVENTS, LOG_LEVELS, type LogEventName } from './events.ts';

// Why: operators grep and alert on these names; this lists each with its level, fields and moment.
export function renderLogEventsReference(): string {
  const levels = Object.entries(LOG_LEVELS).map(([level, meaning]) => `- \`${level}\`: ${meaning}.`);
  const events = (Object.keys(LOG_EVENTS) as LogEventName[]).map((name) => {
    const { level, when, fields } = LOG_EVENTS[name];
    const described = Object.entries(fields as Record<string, string>).map(
      ([f, what]) => `\`${f}\`: ${what}`,
    );
    return `- **\`${name}\`** (${level}): ${when}.\n  Fields: ${described.length > 0 ? described.join('; ') : 'none'}.`;
  });
  return [
    'Levels:',
    '',
    ...levels,
    '',
    'Events, in the order a boot usually writes them:',
    '',
    ...events,
  ].join('\n');
}
