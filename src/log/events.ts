// The boot's log vocabulary: every `event` a log line can carry, with its level, its fields and
// when it is written. One table feeds both the types (a logger call with an unknown event, the
// wrong level or a wrong field fails `tsc`) and docs/log-events.md (rendered from it, checked by
// test/log/events.test.ts), so the documented list cannot drift from what the code writes.
import type { BootScope, BootStep, Modes } from '../../machines/boot-logic.ts';
import type { StartPlan } from '../boot/plan.ts';
import type { LockHolder, RunStatus } from '../store/types.ts';

/** What each level means for the operator reading the log. */
export const LOG_LEVELS = {
  debug: 'bookkeeping (checkpoints); not printed, as `gigi-boot run` logs from info up',
  info: 'progress: the boot did what it should',
  warn: 'the boot goes on, but something needs a look, or it is waiting or stopping',
  error: 'something failed: the boot (or a cleanup) did not do what it should',
} as const;
export type LogLevel = keyof typeof LOG_LEVELS;

/** An event with no fields besides `event`. */
type NoFields = Record<never, never>;

/** The fields each event carries besides `event` (and pino's level, time, pid and msg). */
export interface LogEventFields {
  'config.warning': NoFields;
  'store.wait': {
    err: unknown;
  };
  'lock.wait': {
    holder: LockHolder | null;
  };
  'lock.lost': {
    err: unknown;
  };
  'lock.wait_not_recorded': {
    err: unknown;
  };
  'boot.signal': {
    signal: NodeJS.Signals;
  };
  'boot.plan': {
    plan: StartPlan['kind'];
    reason: string;
  };
  'boot.replay': NoFields;
  'boot.restore_failed': {
    err: unknown;
  };
  'boot.modes': {
    modes: Modes;
    scope: BootScope;
  };
  'boot.completed': {
    plan: StartPlan['kind'];
    runId: string;
  };
  'boot.degraded': {
    reasons: string[] | undefined;
  };
  'boot.stopping': {
    state: unknown;
  };
  'boot.interrupted': NoFields;
  'boot.failed': {
    step: BootStep;
    hint: string | null;
  };
  'boot.failed_after_handoff': {
    err: unknown;
  };
  'volume.adopted': {
    layout: string;
  };
  'step.start': {
    step: BootStep;
    attempt: number;
  };
  'step.done': {
    step: BootStep;
    attempt: number;
    durationMs: number;
    outcome: string;
  };
  'step.error': {
    step: BootStep;
    attempt: number;
    durationMs: number;
    transient: boolean;
    err: unknown;
    outputTail?: string[];
  };
  'failpoint.fired': {
    step: BootStep;
    action: 'transient' | 'permanent';
  };
  'checkpoint.saved': {
    status: RunStatus;
    state: unknown;
  };
  'gitea.restart': {
    pid: number;
  };
  'gitea.system_webhook': {
    action: 'existed' | 'created' | 'replaced';
    deleted: number[];
  };
  'gitea.stop_failed': {
    err: unknown;
  };
  'gitea.templates': {
    outcome: string;
  };
  'docker.build': {
    step: 'buildRunnerWorker';
    line: string;
  };
  'handoff.rendered': {
    conf: string;
  };
  'handoff.start': {
    conf: string;
  };
  'handoff.exit': {
    code: number | null;
    signal: NodeJS.Signals | null;
  };
}
export type LogEventName = keyof LogEventFields;

interface LogEventMeta<K extends LogEventName> {
  level: LogLevel;
  /** When the line is written, in the operator's words. */
  when: string;
  /** Every field of the payload, each with what it holds (the compiler checks none is missing). */
  fields: { [F in keyof LogEventFields[K]]-?: string };
}

/** Every event, in the order a boot usually writes them: the documented list. */
export const LOG_EVENTS = {
  'config.warning': {
    level: 'warn',
    when: 'a setting is accepted but probably not what was meant (the message says which and why)',
    fields: {},
  },
  'store.wait': {
    level: 'warn',
    when: 'the database is not reachable yet; the boot retries until `GIGI_BOOT_DATABASE_TIMEOUT`',
    fields: {
      err: 'the first connection error',
    },
  },
  'lock.wait': {
    level: 'warn',
    when: 'another gigi-boot holds the boot lock of this volume (or has the embedded database open); this one waits up to `GIGI_BOOT_LOCK_TIMEOUT`',
    fields: {
      holder: 'who holds it (pid, applicationName, clientAddr, backendStart), or null',
    },
  },
  'lock.lost': {
    level: 'error',
    when: "the boot lock's database session ended; the boot stops at the next checkpoint",
    fields: {
      err: 'why the session ended',
    },
  },
  'lock.wait_not_recorded': {
    level: 'warn',
    when: 'the wait for the boot lock could not be written for `inspect --history` (the boot goes on)',
    fields: {
      err: 'the store error',
    },
  },
  'boot.signal': {
    level: 'warn',
    when: 'SIGTERM or SIGINT arrived; the boot stops at the next checkpoint',
    fields: {
      signal: 'the signal name',
    },
  },
  'boot.plan': {
    level: 'info',
    when: 'the boot decided how to start, from the last run of this volume',
    fields: {
      plan: 'fresh, resume, runner or warm',
      reason: 'why, in words',
    },
  },
  'boot.replay': {
    level: 'warn',
    when: 'the checkpoint of the run to resume does not fit this machine; the steps run again from the start',
    fields: {},
  },
  'boot.restore_failed': {
    level: 'warn',
    when: 'the checkpoint could not be restored (followed by `boot.replay`)',
    fields: {
      err: 'why',
    },
  },
  'boot.modes': {
    level: 'info',
    when: '`detectModes` found which parts this container runs',
    fields: {
      modes: 'gitea and chrome internal or external, docker true or false',
      scope: 'all, or runner when only the runner-worker image is redone',
    },
  },
  'volume.adopted': {
    level: 'info',
    when: 'the volume was initialised by the bash entrypoint and is adopted as it is',
    fields: {
      layout: 'the layout found (bash-entrypoint)',
    },
  },
  'step.start': {
    level: 'info',
    when: 'a step begins an attempt',
    fields: {
      step: 'the step',
      attempt: 'its attempt number, from 1',
    },
  },
  'step.done': {
    level: 'info',
    when: 'a step attempt succeeded',
    fields: {
      step: 'the step',
      attempt: 'its attempt number',
      durationMs: 'how long it took',
      outcome: 'what it did (created, existed, skipped …)',
    },
  },
  'step.error': {
    level: 'warn',
    when: 'a step attempt failed (retried when transient, else the boot fails: see `boot.failed`)',
    fields: {
      step: 'the step',
      attempt: 'its attempt number',
      durationMs: 'how long it took',
      transient: 'true when it will be retried',
      err: 'type, message, hint and domain of the error',
      outputTail: "the last lines of the failing program's output, when there are any",
    },
  },
  'failpoint.fired': {
    level: 'warn',
    when: '`GIGI_BOOT_FAILPOINTS` made a step fail on purpose (tests)',
    fields: {
      step: 'the step',
      action: 'transient or permanent',
    },
  },
  'gitea.restart': {
    level: 'info',
    when: 'a resumed boot found the temporary Gitea not running and started it',
    fields: {
      pid: 'its process id',
    },
  },
  'gitea.system_webhook': {
    level: 'info',
    when: 'the system webhook to `WEBHOOK_URL` was created or replaced, or other hooks to it deleted',
    fields: {
      action: 'existed, created or replaced',
      deleted: 'ids of the other hooks to it that were deleted',
    },
  },
  'docker.build': {
    level: 'info',
    when: 'a line of progress from the runner-worker image build',
    fields: {
      step: 'buildRunnerWorker',
      line: 'the line',
    },
  },
  'checkpoint.saved': {
    level: 'debug',
    when: 'a checkpoint was written to the database',
    fields: {
      status: "the run's status",
      state: 'the machine state saved',
    },
  },
  'boot.stopping': {
    level: 'warn',
    when: 'a signal or the lost lock stops the boot: the running steps are journaled as interrupted, then checkpointed',
    fields: {
      state: 'the machine state it stops in',
    },
  },
  'gitea.stop_failed': {
    level: 'error',
    when: 'the temporary Gitea could not be stopped after the boot',
    fields: {
      err: 'why',
    },
  },
  'boot.completed': {
    level: 'info',
    when: 'the boot ended well (also a warm start, which ran no step)',
    fields: {
      plan: 'fresh, resume, runner or warm',
      runId: 'the run',
    },
  },
  'boot.degraded': {
    level: 'warn',
    when: 'the boot ended, but a part that may fail did (the runner-worker image, for one)',
    fields: {
      reasons: 'what is missing',
    },
  },
  'boot.interrupted': {
    level: 'warn',
    when: 'the boot stopped on a signal or the lost lock; the next `gigi-boot run` resumes it',
    fields: {},
  },
  'boot.failed': {
    level: 'error',
    when: 'a step failed for good; the message says why, the hint what to do',
    fields: {
      step: 'the step',
      hint: 'what to do, or null',
    },
  },
  'boot.failed_after_handoff': {
    level: 'error',
    when: 'the background runner-worker build failed after the hand-off; the app runs on, the next start resumes it',
    fields: {
      err: 'why',
    },
  },
  'handoff.rendered': {
    level: 'info',
    when: "a warm start rendered supervisord's config from the current configuration",
    fields: {
      conf: 'the file',
    },
  },
  'gitea.templates': {
    level: 'info',
    when: "the app's Gitea templates were linked into Gitea's custom path, before the hand-off",
    fields: {
      outcome: 'what was done',
    },
  },
  'handoff.start': {
    level: 'info',
    when: 'gigi-boot starts supervisord, which runs the programs from now on',
    fields: {
      conf: 'its config file',
    },
  },
  'handoff.exit': {
    level: 'info',
    when: 'supervisord exited (the container ends with it)',
    fields: {
      code: 'its exit code, or null',
      signal: 'the signal that ended it, or null',
    },
  },
} as const satisfies { [K in LogEventName]: LogEventMeta<K> };

/** One log line's payload: `event` plus exactly that event's fields. */
export type LogEvent = { [K in LogEventName]: { event: K } & LogEventFields[K] }[LogEventName];

/** The payloads that may be logged at this level (an event has exactly one level). */
export type LogEventAt<L extends LogLevel> = {
  [K in LogEventName]: (typeof LOG_EVENTS)[K]['level'] extends L ? { event: K } & LogEventFields[K] : never;
}[LogEventName];
